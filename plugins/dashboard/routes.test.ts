import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FORM_GROUPS } from "./client/form-fields";

const get = (path: string) => SELF.fetch(`http://example.com${path}`, { redirect: "manual" });

describe("the dashboard is served by the worker, without a token and without data", () => {
  it("GET /dashboard answers the page, limited to its own script and style", async () => {
    const response = await get("/dashboard");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    const csp = response.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/dashboard/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/dashboard/app.css">');
    // Nothing from elsewhere: every src and href is on this origin (or the empty data: icon).
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"/g)) expect(url).toMatch(/^(\/dashboard\/|data:,$)/);
  });

  it("serves the script and the style with their content types", async () => {
    const js = await get("/dashboard/app.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain("/replication/jobs");
    const css = await get("/dashboard/app.css");
    expect(css.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain(".jobs");
  });

  it("renders a labelled input and an error slot for every form field", async () => {
    const html = await (await get("/dashboard")).text();
    for (const group of FORM_GROUPS) {
      for (const field of group.fields) {
        const id = `f-${group.id}-${field.name.replace(/\W/g, "-")}`;
        expect(html, field.name).toContain(`<label for="${id}">`);
        expect(html, field.name).toContain(`id="${id}" name="${field.name}"`);
        expect(html, field.name).toContain(`data-error-for="${field.name}"`);
      }
    }
  });

  it("opens no other route: the API under it still needs the token", async () => {
    expect((await get("/dashboard/")).status).toBe(301);
    const unknown = await get("/dashboard/nothing-here");
    expect(unknown.status).toBe(404);
    expect((await get("/replication/jobs")).status).toBe(401);
    expect((await get("/dashboardx")).status).toBe(401);
  });
});

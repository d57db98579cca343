import { describe, expect, it } from "vitest";
import { fieldErrors } from "./field-errors";
import { ERROR_TARGETS } from "./form-fields";

const place = (message: string) => fieldErrors(message, ERROR_TARGETS);

describe("fieldErrors puts each server message beside the field it names", () => {
  it.each([
    ["name: name must be 1 to 64 letters, digits or _", "name", "name must be 1 to 64 letters, digits or _"],
    ["source.host: source.host must not be empty", "source.host", "source.host must not be empty"],
    [
      "source.port: Invalid input: expected number, received string",
      "source.port",
      "Invalid input: expected number, received string",
    ],
    ["batch_size: batch_size must be at least 1", "batch_size", "batch_size must be at least 1"],
    ["columns[1]: columns[] must be an identifier", "columns", "columns[] must be an identifier"],
    ['tracking_col "missing_col" is not a column of public.demo_orders', "tracking_col", null],
    ["target_table tmp_x is reserved: give target_table another name", "target_table", null],
    ["table public.nope not found", "table_name", null],
    ["public.t has no primary key: give primary_key, columns whose values are unique", "primary_key", null],
    ["a replication job named orders already exists", "name", null],
    ["table orders is already the replica of job x: choose another target_table", "target_table", null],
    ["source check failed: connect ECONNREFUSED 127.0.0.1:1", "source", null],
    ["source.secret: the worker secret X is not set", "source", "the worker secret X is not set"],
    ["cron_tab: cron_tab must not be empty", "cron_tab", "cron_tab must not be empty"],
  ])("%s → %s", (message, field, shown) => {
    expect(place(message)).toEqual([{ field, message: shown ?? message }]);
  });

  it("splits several problems; one naming no field continues the one before it", () => {
    expect(
      place(
        'Unrecognized key: "extra"; name: name must be 1 to 64 letters, digits or _; source.host: source.host must not be empty',
      ),
    ).toEqual([
      { field: null, message: 'Unrecognized key: "extra"' },
      { field: "name", message: "name must be 1 to 64 letters, digits or _" },
      { field: "source.host", message: "source.host must not be empty" },
    ]);
    expect(place("columns must include the tracking and key columns; missing: id, region")).toEqual([
      { field: "columns", message: "columns must include the tracking and key columns; missing: id, region" },
    ]);
  });

  it("keeps a message that names no field whole, for the form", () => {
    const message = "a run of job orders is in progress; pause it when the run ends";
    expect(place(message)).toEqual([{ field: null, message }]);
  });

  it("gathers two problems of one field", () => {
    expect(place("columns: columns must name at least one column; columns: columns must not repeat a column")).toEqual([
      {
        field: "columns",
        message: "columns must name at least one column; columns must not repeat a column",
      },
    ]);
  });

  it("does not take the word name inside a sentence for the name field", () => {
    expect(place("internal error: give it a name")).toEqual([
      { field: null, message: "internal error: give it a name" },
    ]);
  });
});

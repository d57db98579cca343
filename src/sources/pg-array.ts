/**
 * Parser for PostgreSQL's array output syntax, e.g. `{1,NULL,"a,b","q\"t"}`,
 * `{{1,2},{3,4}}` or `[0:1]={7,8}`. Elements stay text so the caller can
 * convert them exactly; an unquoted NULL is SQL NULL, a quoted "NULL" is text.
 */
export type PgArrayNode = string | null | PgArrayNode[];

export function parsePgArray(text: string, delimiter = ","): PgArrayNode[] {
  // Arrays with non-default lower bounds are printed with a `[lo:hi]=` prefix.
  const start = text.startsWith("[") ? text.indexOf("=") + 1 : 0;
  const parser = new ArrayParser(text, delimiter);
  parser.pos = start;
  const result = parser.parseArray();
  return result;
}

class ArrayParser {
  pos = 0;

  constructor(
    private readonly text: string,
    private readonly delimiter: string,
  ) {}

  parseArray(): PgArrayNode[] {
    this.expect("{");
    const items: PgArrayNode[] = [];
    if (this.text[this.pos] === "}") {
      this.pos += 1;
      return items;
    }
    for (;;) {
      items.push(this.parseElement());
      const ch = this.text[this.pos];
      this.pos += 1;
      if (ch === "}") return items;
      if (ch !== this.delimiter) throw new SyntaxError(`malformed array literal at ${this.pos - 1}`);
    }
  }

  private parseElement(): PgArrayNode {
    const ch = this.text[this.pos];
    if (ch === "{") return this.parseArray();
    if (ch === '"') return this.parseQuoted();
    return this.parseUnquoted();
  }

  private parseQuoted(): string {
    this.pos += 1;
    let out = "";
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === "\\") {
        out += this.text[this.pos + 1] ?? "";
        this.pos += 2;
      } else if (ch === '"') {
        this.pos += 1;
        return out;
      } else {
        out += ch;
        this.pos += 1;
      }
    }
    throw new SyntaxError("unterminated quoted array element");
  }

  private parseUnquoted(): string | null {
    let out = "";
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === this.delimiter || ch === "}") break;
      if (ch === "\\") {
        out += this.text[this.pos + 1] ?? "";
        this.pos += 2;
      } else {
        out += ch;
        this.pos += 1;
      }
    }
    return out.toUpperCase() === "NULL" ? null : out;
  }

  private expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw new SyntaxError(`malformed array literal: expected ${ch} at ${this.pos}`);
    this.pos += 1;
  }
}

// Stand-in for @outerbase/sdk (not in the package registry): StarbaseDB imports these
// connection classes for external data sources only; constructing one says so.
const unavailable = (name) =>
  class {
    constructor() {
      throw new Error(`${name}: @outerbase/sdk is not installed here (stand-in for tests)`);
    }
  };
export const CloudflareD1Connection = unavailable("CloudflareD1Connection");
export const MySQLConnection = unavailable("MySQLConnection");
export const PostgreSQLConnection = unavailable("PostgreSQLConnection");
export const StarbaseConnection = unavailable("StarbaseConnection");
export const TursoConnection = unavailable("TursoConnection");
export class SqlConnection {}

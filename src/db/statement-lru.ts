// Prepared statements of one connection by SQL text, least recently used evicted first: the
// read and write connections prepare each statement once and decide its row mode then.

/** Statements kept per connection. */
export const MAX_STATEMENTS = 512;

export class StatementLru<T> {
  readonly #map = new Map<string, T>();
  constructor(private readonly make: (sql: string) => T, private readonly max = MAX_STATEMENTS) {}

  get(sql: string): T {
    const map = this.#map;
    let s = map.get(sql);
    if (s !== undefined) {
      // Refresh its place: the least recently used statement is the one evicted.
      map.delete(sql);
      map.set(sql, s);
      return s;
    }
    s = this.make(sql);
    map.set(sql, s);
    if (map.size > this.max) map.delete(map.keys().next().value!);
    return s;
  }

  clear(): void {
    this.#map.clear();
  }
}

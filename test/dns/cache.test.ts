import { describe, expect, test } from "bun:test";
import { AnswerCache, MAX_CACHE_TTL_S } from "../../src/dns/cache.ts";

function setup(max = 3) {
  const clock = { now: 1_000_000 };
  const cache = new AnswerCache<string>(max, () => clock.now);
  let loads = 0;
  const load = (value: string, ttl: number) => async () => {
    loads++;
    return { value, ttl };
  };
  return { clock, cache, load, loads: () => loads };
}

describe("AnswerCache", () => {
  test("a positive answer is reused until its TTL runs out", async () => {
    const { clock, cache, load, loads } = setup();
    expect(await cache.get("A x", load("1", 30))).toBe("1");
    clock.now += 29_000;
    expect(await cache.get("A x", load("2", 30))).toBe("1");
    expect(loads()).toBe(1);
    clock.now += 1_000;
    expect(await cache.get("A x", load("3", 30))).toBe("3");
    expect(loads()).toBe(2);
  });

  test("TTL 0 is not cached; long TTLs are capped at an hour", async () => {
    const { clock, cache, load, loads } = setup();
    await cache.get("A zero", load("1", 0));
    await cache.get("A zero", load("2", 0));
    expect(loads()).toBe(2);
    await cache.get("A long", load("1", 86_400));
    clock.now += MAX_CACHE_TTL_S * 1000 - 1;
    expect(await cache.get("A long", load("2", 86_400))).toBe("1");
    clock.now += 1;
    expect(await cache.get("A long", load("3", 86_400))).toBe("3");
  });

  test("errors are not cached", async () => {
    const { cache } = setup();
    await expect(cache.get("A bad", async () => { throw new Error("SERVFAIL"); })).rejects.toThrow("SERVFAIL");
    expect(await cache.get("A bad", async () => ({ value: "ok", ttl: 60 }))).toBe("ok");
  });

  test("concurrent lookups of one key share one load", async () => {
    const { cache } = setup();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      loads++;
      await gate;
      return { value: "v", ttl: 60 };
    };
    const all = Promise.all([cache.get("TXT k", load), cache.get("TXT k", load), cache.get("TXT k", load)]);
    release();
    expect(await all).toEqual(["v", "v", "v"]);
    expect(loads).toBe(1);
  });

  test("bounded: the oldest entry goes first; 0 entries = no cache", async () => {
    const { cache, load, loads } = setup(2);
    await cache.get("a", load("a", 60));
    await cache.get("b", load("b", 60));
    await cache.get("c", load("c", 60));
    expect(cache.size).toBe(2);
    await cache.get("a", load("a2", 60));
    expect(loads()).toBe(4);
    const off = new AnswerCache<string>(0);
    let n = 0;
    await off.get("k", async () => ({ value: String(++n), ttl: 60 }));
    expect(await off.get("k", async () => ({ value: String(++n), ttl: 60 }))).toBe("2");
    expect(off.size).toBe(0);
  });
});

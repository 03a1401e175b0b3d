/**
 * A seeded pseudo-random generator (sfc32 seeded through splitmix32), so Monte Carlo statistics
 * and simulations give the same numbers on every run and every node.
 *
 * @example
 *   const random = seededRandom(42);
 *   random(); // 0 <= x < 1, the same sequence for seed 42 every time
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller; one of the pair is discarded for simplicity). */
export function normalDraw(random: Random): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 boosted by U^(1/shape)). */
export function gammaDraw(random: Random, shape: number): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = random();
    return gammaDraw(random, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalDraw(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(alpha, beta) draw from two gamma draws. */
export function betaDraw(random: Random, alpha: number, beta: number): number {
  const x = gammaDraw(random, alpha);
  const y = gammaDraw(random, beta);
  return x / (x + y);
}

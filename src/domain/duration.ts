const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_SHAPE = /^([1-9][0-9]{0,5})([smhd])$/;
/** Ten years: anything longer is almost certainly a typo. */
const MAX_MS = 3650 * UNIT_MS.d;

/** `90s`, `15m`, `12h`, `30d` to milliseconds; `null` for anything else. */
export const parseDuration = (text: string): number | null => {
  const match = DURATION_SHAPE.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_MS ? ms : null;
};

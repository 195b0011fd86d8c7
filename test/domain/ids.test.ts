import { describe, expect, it } from 'vitest';
import { isActionId, newActionId } from '../../src/domain/ids.js';

describe('action ids', () => {
  it('have the published shape and sort as they were made, within a millisecond too', () => {
    const at = Date.UTC(2026, 11, 7, 12);
    const ids = [
      newActionId(at),
      newActionId(at),
      newActionId(at),
      newActionId(at + 1),
      newActionId(at + 1),
    ];
    for (const id of ids) expect(isActionId(id)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keep sorting when the clock steps back', () => {
    const later = newActionId(Date.UTC(2030, 0, 1));
    const stepped = newActionId(Date.UTC(2029, 0, 1));
    expect([stepped, later].sort()).toEqual([later, stepped]);
  });
});

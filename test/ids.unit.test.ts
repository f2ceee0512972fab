import { describe, expect, it } from 'vitest';
import { newId, newTimeOrderedId } from '../src/db/ids.js';

describe('ids', () => {
  it('newId: a prefix and 128 random bits in base64url', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('ses')));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^ses_[A-Za-z0-9_-]{22}$/);
  });

  it('newTimeOrderedId: the time in ms as 12 hex digits, then 80 random bits; later ids sort later', async () => {
    const before = Date.now();
    const first = newTimeOrderedId('aud');
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = newTimeOrderedId('aud');
    for (const id of [first, second]) expect(id).toMatch(/^aud_[0-9a-f]{12}[A-Za-z0-9_-]{14}$/);
    expect(parseInt(first.slice(4, 16), 16)).toBeGreaterThanOrEqual(before);
    expect(first < second).toBe(true);
    // Within one millisecond the random part keeps them apart.
    expect(new Set(Array.from({ length: 1000 }, () => newTimeOrderedId('aud'))).size).toBe(1000);
  });
});

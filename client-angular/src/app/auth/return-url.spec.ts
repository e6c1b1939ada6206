import { safeReturnUrl } from './return-url';

describe('safeReturnUrl', () => {
  it('returns to a path on this site', () => {
    expect(safeReturnUrl('/rooms/abc')).toBe('/rooms/abc');
    expect(safeReturnUrl('/rooms/ph%C3%B2ng?x=1')).toBe('/rooms/ph%C3%B2ng?x=1');
  });

  it('goes to /rooms when there is nowhere safe to return to', () => {
    for (const unsafe of [
      undefined,
      null,
      '',
      'rooms',
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
    ]) {
      expect(safeReturnUrl(unsafe)).withContext(String(unsafe)).toBe('/rooms');
    }
  });
});

import { LocalDatePipe } from './local-date-pipe';

describe('LocalDatePipe', () => {
  const pipe = new LocalDatePipe();

  it("formats an ISO time in the browser's locale", () => {
    const iso = '2026-03-04T10:20:00.000Z';
    const expected = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(
      new Date(iso),
    );

    expect(pipe.transform(iso)).toBe(expected);
  });

  it('shows nothing for a value that is not a time', () => {
    expect(pipe.transform('not a date')).toBe('');
  });
});

import { isCalendarDate } from './messages.dto';

describe('isCalendarDate', () => {
  it.each([
    ['29/02/2024', true],
    ['01/01/26', true],
    ['31/12/2026', true],
    ['29/02/2023', false],
    ['31/04/2026', false],
    ['32/01/2026', false],
    ['00/01/2026', false],
    ['01/13/2026', false],
    ['1/1/2026', true],
    ['1/9/2023', true],
    ['9/12/26', true],
    ['29/2/24', true],
    ['29/2/2023', false],
    ['31/4/2026', false],
    ['0/1/2026', false],
    ['1/0/2026', false],
    ['001/01/2026', false],
    ['1/013/2026', false],
    ['1//2026', false],
    ['01/01/026', false],
    ['2026-01-01', false],
    ['', false],
  ])('%p → %p', (value, expected) => {
    expect(isCalendarDate(value)).toBe(expected);
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 20260101, new Date(), ['01/01/2026']]) {
      expect(isCalendarDate(value)).toBe(false);
    }
  });
});

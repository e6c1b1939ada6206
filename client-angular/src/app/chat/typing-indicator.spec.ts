import { TestBed } from '@angular/core/testing';
import { TypingIndicator } from './typing-indicator';

describe('TypingIndicator', () => {
  async function textFor(users: string[]): Promise<string> {
    const fixture = TestBed.createComponent(TypingIndicator);
    fixture.componentRef.setInput('users', users);
    await fixture.whenStable();
    return (fixture.nativeElement as HTMLElement).textContent?.trim() ?? '';
  }

  it('names one, two, or two and a count of the people typing', async () => {
    expect(await textFor([])).toBe('');
    expect(await textFor(['bob'])).toBe('bob is typing…');
    expect(await textFor(['bob', 'cy'])).toBe('bob and cy are typing…');
    expect(await textFor(['bob', 'cy', 'di'])).toBe('bob, cy and 1 other are typing…');
    expect(await textFor(['bob', 'cy', 'di', 'ed'])).toBe('bob, cy and 2 others are typing…');
  });
});

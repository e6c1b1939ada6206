import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { Composer, WARN_REMAINING } from './composer';

describe('Composer', () => {
  let fixture: ComponentFixture<Composer>;
  let element: HTMLElement;
  let textarea: HTMLTextAreaElement;
  let sent: string[];
  let typed: number;

  async function type(value: string): Promise<void> {
    textarea.value = value;
    textarea.dispatchEvent(new Event('input'));
    await fixture.whenStable();
  }

  async function press(key: string, init: KeyboardEventInit = {}): Promise<KeyboardEvent> {
    const event = new KeyboardEvent('keydown', { key, cancelable: true, ...init });
    textarea.dispatchEvent(event);
    await fixture.whenStable();
    return event;
  }

  const sendButton = () => element.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  const counter = () => element.querySelector('.counter')!;

  beforeEach(async () => {
    fixture = TestBed.createComponent(Composer);
    element = fixture.nativeElement as HTMLElement;
    sent = [];
    typed = 0;
    fixture.componentInstance.send.subscribe((content) => sent.push(content));
    fixture.componentInstance.typing.subscribe(() => typed++);
    await fixture.whenStable();
    textarea = element.querySelector('textarea')!;
  });

  it('when it opens, then the message box has the focus, ready to type', () => {
    expect(document.activeElement).toBe(textarea);
  });

  it('when the user clicks Send, then the message is sent and the focus is back in the message box', async () => {
    await type('hello');
    sendButton().focus();

    sendButton().click();
    await fixture.whenStable();

    expect(sent).toEqual(['hello']);
    expect(document.activeElement).toBe(textarea);
  });

  it('has a visible label for its textarea', () => {
    const label = element.querySelector(`label[for="${textarea.id}"]`);

    expect(label?.textContent?.trim()).toBe('Message');
  });

  it('when the user presses Enter, then the trimmed message is sent and the field cleared', async () => {
    await type('  hello 👋  ');

    const event = await press('Enter');

    expect(event.defaultPrevented).toBeTrue();
    expect(sent).toEqual(['hello 👋']);
    expect(textarea.value).toBe('');
  });

  it('when the user presses Shift+Enter, then nothing is sent and the new line is left to the textarea', async () => {
    await type('first line');

    const event = await press('Enter', { shiftKey: true });

    expect(event.defaultPrevented).toBeFalse();
    expect(sent).toEqual([]);
  });

  it('when the message is blank, then it is not sent', async () => {
    await type('   \n  ');

    await press('Enter');

    expect(sent).toEqual([]);
    expect(sendButton().disabled).toBeTrue();
  });

  it('when the user types, then typing is emitted', async () => {
    await type('h');

    expect(typed).toBe(1);
  });

  it('shows the characters left, counting code points, not UTF-16 units', async () => {
    await type('😀😀');

    expect(counter().textContent?.trim()).toBe('3998 characters left');
    expect(counter().classList).not.toContain('counter--near');
  });

  it('when the message nears the limit, then a warning shows before it is reached', async () => {
    await type('a'.repeat(4000 - WARN_REMAINING));

    expect(counter().classList).toContain('counter--near');
    expect(element.textContent).toContain('You are close to the 4000-character limit.');
    expect(sendButton().disabled).toBeFalse();
  });

  it('when the message is over the limit, then it says by how much and refuses to send', async () => {
    await type('😀'.repeat(4001));

    await press('Enter');

    expect(counter().textContent?.trim()).toBe('1 character over the limit of 4000');
    expect(counter().classList).toContain('counter--over');
    expect(textarea.getAttribute('aria-invalid')).toBe('true');
    expect(sendButton().disabled).toBeTrue();
    expect(sent).toEqual([]);
  });

  it('when disabled, then the textarea and the button are, and no characters are counted', async () => {
    expect(element.querySelector('.counter')).not.toBeNull();

    fixture.componentRef.setInput('disabled', true);
    await fixture.whenStable();

    expect(textarea.disabled).toBeTrue();
    expect(sendButton().disabled).toBeTrue();
    expect(element.querySelector('.counter')).toBeNull();
  });
});

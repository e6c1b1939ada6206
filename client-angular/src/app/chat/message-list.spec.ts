import { TestBed, type ComponentFixture } from '@angular/core/testing';
import type { ChatLine } from './chat-line';
import { lineOfMessage } from './chat-line';
import { MessageList } from './message-list';
import { aMessage, messagesBetween } from './testing/test-messages';

describe('MessageList', () => {
  let fixture: ComponentFixture<MessageList>;
  let element: HTMLElement;

  async function render(
    lines: readonly ChatLine[],
    inputs: Record<string, unknown> = {},
  ): Promise<void> {
    fixture.componentRef.setInput('lines', lines);
    for (const [name, value] of Object.entries(inputs)) fixture.componentRef.setInput(name, value);
    await fixture.whenStable();
  }

  const pendingLine = (status: 'pending' | 'failed', error: string | null = null): ChatLine => ({
    key: 'ana:c-1',
    username: 'ana',
    content: 'on its way',
    timestamp: new Date().toISOString(),
    status,
    clientId: 'c-1',
    error,
  });

  const button = (name: string) =>
    [...element.querySelectorAll('button')].find(
      (candidate) =>
        (candidate.getAttribute('aria-label') ?? candidate.textContent?.trim()) === name,
    );

  const liveText = () => element.querySelector('[aria-live="polite"]')?.textContent?.trim();

  beforeEach(() => {
    fixture = TestBed.createComponent(MessageList);
    element = fixture.nativeElement as HTMLElement;
    // A fixed height so the list scrolls as it does in the page.
    element.style.height = '200px';
    document.body.appendChild(element);
  });

  afterEach(() => element.remove());

  it('when a message holds HTML, then it is shown as literal text and no element is created', async () => {
    const payload = '<img src=x onerror=alert(1)>';

    await render([lineOfMessage(aMessage(1, { content: payload, username: 'mallory' }))]);

    const content = element.querySelector('.message .content');
    expect(content?.textContent).toBe(payload);
    expect(element.querySelector('.messages img')).toBeNull();
    expect(element.querySelector('.message .author')?.textContent).toBe('mallory');
  });

  it('when some messages are ours, then they are set apart and marked "(you)", the others not', async () => {
    await render(
      [
        lineOfMessage(aMessage(1, { username: 'ana', content: 'mine' })),
        lineOfMessage(aMessage(2, { username: 'bob', content: 'theirs' })),
      ],
      { self: 'ana' },
    );

    const [mine, theirs] = [...element.querySelectorAll('.message')];
    expect(mine?.classList).toContain('message--own');
    expect(mine?.querySelector('.meta')?.textContent).toContain('(you)');
    expect(theirs?.classList).not.toContain('message--own');
    expect(theirs?.textContent).not.toContain('(you)');
  });

  it('when messages are shown, then each has its author and a machine-readable time', async () => {
    await render([lineOfMessage(aMessage(1))]);

    const time = element.querySelector('time');
    expect(time?.getAttribute('datetime')).toBe(aMessage(1).timestamp);
    expect(time?.textContent?.trim()).not.toBe('');
  });

  it('when a message of ours is pending, then it says "Sending…"', async () => {
    await render([pendingLine('pending')]);

    const line = element.querySelector('.message');
    expect(line?.classList).toContain('message--pending');
    expect(line?.textContent).toContain('Sending…');
    expect(button('Retry sending')).toBeUndefined();
  });

  it('when a message of ours waits because we send too fast, then it says so instead of "Sending…"', async () => {
    await render([
      pendingLine('pending', 'Sending too fast — your messages go out in order in a moment…'),
    ]);

    const line = element.querySelector('.message');
    expect(line?.classList).toContain('message--pending');
    expect(line?.textContent).toContain(
      'Sending too fast — your messages go out in order in a moment…',
    );
    expect(line?.textContent).not.toContain('Sending…');
  });

  it('when there are no lines, then it invites a first message once the history is in, not while it loads', async () => {
    await render([], { isLoading: true });
    expect(element.querySelector('.empty')?.textContent?.trim()).toBe('Loading messages…');

    await render([], { isLoading: false });
    expect(element.querySelector('.empty')?.textContent?.trim()).toBe(
      'No messages yet — say hello.',
    );
  });

  it('when a message failed, then it shows the reason and Retry sending emits its clientId', async () => {
    const retried: string[] = [];
    fixture.componentInstance.retry.subscribe((clientId) => retried.push(clientId));
    await render([pendingLine('failed', 'Too many attempts — try again shortly.')]);

    const line = element.querySelector('.message');
    expect(line?.classList).toContain('message--failed');
    expect(line?.textContent).toContain('Failed: Too many attempts — try again shortly.');
    button('Retry sending')?.click();

    expect(retried).toEqual(['c-1']);
  });

  it('when there are older messages, then "Load older messages" asks for them', async () => {
    let asked = 0;
    fixture.componentInstance.loadOlder.subscribe(() => asked++);
    await render([lineOfMessage(aMessage(51))], { hasOlder: true });

    button('Load older messages')?.click();

    expect(asked).toBe(1);
  });

  it('when "Load older messages" is used from the keyboard, then the focus stays on it while loading, and moves to the messages once the room\'s start is reached', async () => {
    let asked = 0;
    fixture.componentInstance.loadOlder.subscribe(() => asked++);
    await render([lineOfMessage(aMessage(51))], { hasOlder: true });
    const older = button('Load older messages')!;
    older.focus();

    older.click();
    await render([lineOfMessage(aMessage(51))], { hasOlder: true, isLoadingOlder: true });
    expect(document.activeElement).toBe(older);
    older.click();
    expect(asked).toBe(1);
    await render(messagesBetween(1, 51).map(lineOfMessage), {
      hasOlder: false,
      isLoadingOlder: false,
    });

    expect(document.activeElement).toBe(
      element.querySelector<HTMLElement>('[aria-label="Messages"]'),
    );
  });

  it('when the room has no messages, then it says so', async () => {
    await render([]);

    expect(element.textContent).toContain('No messages yet');
  });

  it('when a message arrives while the reader is at the bottom, then the list stays at the bottom', async () => {
    await render(messagesBetween(1, 30).map(lineOfMessage));
    const scroller = element.querySelector<HTMLElement>('.scroller')!;
    expect(scroller.scrollHeight).toBeGreaterThan(scroller.clientHeight);

    await render(messagesBetween(1, 31).map(lineOfMessage));

    expect(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight).toBeLessThan(2);
    expect(liveText()).toBe('New message from bob');
  });

  it('when messages arrive while the reader is further up, then they are counted, not scrolled to', async () => {
    await render(messagesBetween(1, 30).map(lineOfMessage));
    const scroller = element.querySelector<HTMLElement>('.scroller')!;
    scroller.scrollTop = 0;
    scroller.dispatchEvent(new Event('scroll'));

    await render(messagesBetween(1, 32).map(lineOfMessage));

    expect(scroller.scrollTop).toBe(0);
    expect(liveText()).toBe('2 new messages below');
    button('2 new messages ↓')?.click();
    await fixture.whenStable();
    expect(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight).toBeLessThan(2);
  });
});

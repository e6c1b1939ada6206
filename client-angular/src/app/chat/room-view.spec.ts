import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { Title } from '@angular/platform-browser';
import { provideRouter } from '@angular/router';
import type { User } from '@parley/contracts';
import { Session } from '../core/session';
import { RoomView } from './room-view';
import { FakeChatSocketFactory, provideFakeChatSocket } from './testing/fake-room-socket';
import { aMessage } from './testing/test-messages';

describe('RoomView', () => {
  let fixture: ComponentFixture<RoomView>;
  let element: HTMLElement;
  let sockets: FakeChatSocketFactory;

  const text = (selector: string) => element.querySelector(selector)?.textContent?.trim();

  /** Types into the message box and presses Enter, as a person sends. */
  async function writeAndPressEnter(content: string): Promise<void> {
    const textarea = element.querySelector('textarea')!;
    textarea.value = content;
    textarea.dispatchEvent(new Event('input'));
    textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', cancelable: true }));
    await fixture.whenStable();
  }

  beforeEach(async () => {
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        provideFakeChatSocket(),
        {
          provide: Session,
          useValue: { user: signal<User | null>({ id: 1, username: 'ana' }), clear() {} },
        },
      ],
    });
    sockets = TestBed.inject(FakeChatSocketFactory);
    fixture = TestBed.createComponent(RoomView);
    element = fixture.nativeElement as HTMLElement;
    fixture.componentRef.setInput('name', 'General');
    await fixture.whenStable();
  });

  afterEach(() => {
    TestBed.inject(HttpTestingController).verify();
    sessionStorage.clear();
  });

  it('when Enter sends, then the message box is empty at once, before the next render, so a key pressed right after starts a new message', () => {
    sockets.socket.accept();
    const textarea = element.querySelector('textarea')!;
    textarea.value = 'm1';
    textarea.dispatchEvent(new Event('input'));
    textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', cancelable: true }));

    expect(textarea.value).toBe('');
    textarea.value += 'n';
    textarea.dispatchEvent(new Event('input'));
    expect(sockets.socket.sent.map((sent) => sent.payload.content)).toEqual(['m1']);
  });

  it('when the page goes and comes back, then the text being written is still in the message box', async () => {
    const textarea = element.querySelector('textarea')!;
    textarea.value = 'half a thought';
    textarea.dispatchEvent(new Event('input'));
    fixture.destroy();

    const again = TestBed.createComponent(RoomView);
    again.componentRef.setInput('name', 'General');
    await again.whenStable();

    expect((again.nativeElement as HTMLElement).querySelector('textarea')!.value).toBe(
      'half a thought',
    );
  });

  it('lays out each message and name in its own direction (right-to-left for Arabic)', async () => {
    sockets.socket.accept();
    sockets.socket.push('history', {
      messages: [
        aMessage(1, { username: 'سارة', content: 'مرحبا بالعالم! 123' }),
        aMessage(2, { content: 'hello, world' }),
      ],
    });
    await fixture.whenStable();

    const direction = (selector: string) =>
      Array.from(element.querySelectorAll(selector), (found) => getComputedStyle(found).direction);
    expect(direction('.content')).toEqual(['rtl', 'ltr']);
    expect(direction('.author')).toEqual(['rtl', 'ltr']);
  });

  it('opens the room by its canonical name and shows it as the heading and the title', () => {
    expect(sockets.socket.roomName).toBe('general');
    expect(text('h1')).toBe('general');
    expect(TestBed.inject(Title).getTitle()).toBe('general · Parley');
  });

  it('shows the connection status as it changes, in a polite live region', async () => {
    const status = () => element.querySelector('[role="status"]');
    expect(status()?.textContent?.trim()).toBe('Connecting…');

    sockets.socket.accept();
    await fixture.whenStable();
    expect(status()?.textContent?.trim()).toBe('Connected');

    sockets.socket.drop();
    await fixture.whenStable();
    expect(status()?.textContent?.trim()).toBe('Connection lost — reconnecting…');
  });

  it('shows who is online, who is typing and the messages', async () => {
    sockets.socket.accept();
    sockets.socket.push('history', { messages: [aMessage(1, { content: 'hi there' })] });
    sockets.socket.push('presence', { users: ['ana', 'bob'] });
    sockets.socket.push('typing', { username: 'bob' });
    await fixture.whenStable();

    expect(text('.online summary')).toBe('2 online');
    expect([...element.querySelectorAll('.online li')].map((item) => item.textContent)).toEqual([
      'ana',
      'bob',
    ]);
    expect(text('app-typing-indicator')).toBe('bob is typing…');
    expect(text('.message .content')).toBe('hi there');
  });

  it('when a room is opened, then it says it is loading until the history arrives, and invites a first message only if there is none', async () => {
    sockets.socket.accept();
    await fixture.whenStable();
    expect(text('.empty')).toBe('Loading messages…');

    sockets.socket.push('history', { messages: [] });
    await fixture.whenStable();

    expect(text('.empty')).toBe('No messages yet — say hello.');
  });

  it('when the list of who is online is opened, then it lies over the conversation without moving it', async () => {
    sockets.socket.accept();
    sockets.socket.push('presence', { users: ['ana', 'bob', 'cleo', 'dan', 'eve'] });
    await fixture.whenStable();
    const messages = element.querySelector('.room-messages')!;
    const topBefore = messages.getBoundingClientRect().top;

    element.querySelector('details')!.open = true;
    await fixture.whenStable();

    expect(element.querySelector<HTMLElement>('.online__list')!.offsetHeight).toBeGreaterThan(0);
    expect(messages.getBoundingClientRect().top).toBe(topBefore);
  });

  it('when the room is deleted, then it says so and the composer is disabled', async () => {
    sockets.socket.accept();
    sockets.socket.push('history', { messages: [] });
    expect(text('[role="alert"]')).toBeUndefined();

    sockets.socket.push('room_deleted', { name: 'general' });
    await fixture.whenStable();

    expect(text('[role="alert"]')).toContain('This room no longer exists.');
    expect(element.querySelector('textarea')?.disabled).toBeTrue();
    expect(text('[role="status"]')).toBe('Disconnected');
  });

  it('when the room does not exist, then it says so and invites no first message', async () => {
    sockets.socket.refuse('room_not_found');
    await fixture.whenStable();

    expect(text('[role="alert"]')).toContain('There is no room named “general”.');
    expect(element.textContent).not.toContain('say hello');
    expect(element.querySelector('textarea')?.disabled).toBeTrue();
  });

  it('when a room with messages is deleted, then what was said stays readable', async () => {
    sockets.socket.accept();
    sockets.socket.push('history', { messages: [aMessage(1, { content: 'last words' })] });
    sockets.socket.push('room_deleted', { name: 'general' });
    await fixture.whenStable();

    expect(text('.message .content')).toBe('last words');
  });

  it('when a message is written and Enter pressed, then it shows as pending and is sent', async () => {
    sockets.socket.accept();
    await writeAndPressEnter('hello');

    expect(sockets.socket.lastSent.payload.content).toBe('hello');
    expect(text('.message--pending .content')).toBe('hello');
    expect(sockets.socket.emitted.map((sent) => sent.event)).toEqual(['typing']);
  });

  it('when the server asks us to slow down, then the page says our messages are held back until they go', async () => {
    sockets.socket.accept();
    await writeAndPressEnter('hello');
    expect(text('.sending-notice')).toBeUndefined();

    sockets.socket.lastSent.answer({
      ok: false,
      error: { code: 'rate_limited', message: 'Slow down' },
    });
    await fixture.whenStable();

    expect(text('.sending-notice')).toBe(
      'Sending too fast — your messages go out in order in a moment…',
    );
  });

  it('when the view is destroyed, then the socket is closed', () => {
    const socket = sockets.socket;

    fixture.destroy();

    expect(socket.active).toBeFalse();
  });
});

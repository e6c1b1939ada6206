import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import type { Message, MessageAck, User } from '@parley/contracts';
import { Session } from '../core/session';
import { ACK_TIMEOUT_MS, ChatStore, RECONNECT_DELAY_MS, TYPING_THROTTLE_MS } from './chat-store';
import { BUSY_BACKOFF_MS } from './outbox';
import { GAP_RETRY_MS } from './room-history';
import {
  FakeChatSocketFactory,
  provideFakeChatSocket,
  type FakeRoomSocket,
} from './testing/fake-room-socket';
import { aMessage, messagesBetween } from './testing/test-messages';
import { TYPING_SHOWN_MS } from './typing-tracker';

describe('ChatStore', () => {
  let store: ChatStore;
  let sockets: FakeChatSocketFactory;
  let http: HttpTestingController;
  let session: { user: ReturnType<typeof signal<User | null>>; clear: jasmine.Spy };

  const seqs = () => store.messages().map((message) => message.seq);
  const socket = (): FakeRoomSocket => sockets.socket;

  /** Opens room "general"; the server accepts and sends `history`. */
  function join(history: Message[] = []): FakeRoomSocket {
    store.open('general');
    socket().accept();
    socket().push('history', { messages: history });
    return socket();
  }

  function expectPage(query: Record<string, number>, messages: Message[]): void {
    const request = http.expectOne(
      (candidate) =>
        candidate.url === '/api/rooms/general/messages' &&
        Object.entries(query).every(
          ([key, value]) => candidate.params.get(key) === String(value),
        ) &&
        candidate.params.keys().length === Object.keys(query).length,
    );
    request.flush({ messages });
  }

  const confirmedAck = (content: string, clientId: string, seq: number): MessageAck => ({
    ok: true,
    message: aMessage(seq, { username: 'ana', content, clientId }),
  });

  beforeEach(() => {
    sessionStorage.clear();
    jasmine.clock().install();
    jasmine.clock().mockDate(new Date(Date.UTC(2025, 0, 1, 12)));
    session = {
      user: signal<User | null>({ id: 1, username: 'ana' }),
      clear: jasmine.createSpy('clear'),
    };
    TestBed.configureTestingModule({
      providers: [
        ChatStore,
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        provideFakeChatSocket(),
        { provide: Session, useValue: session },
      ],
    });
    store = TestBed.inject(ChatStore);
    sockets = TestBed.inject(FakeChatSocketFactory);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    jasmine.clock().uninstall();
    sessionStorage.clear();
  });

  describe('messages by seq', () => {
    it('when the room opens, then every listener is attached before the socket connects', () => {
      store.open('general');

      expect(socket().roomName).toBe('general');
      expect(socket().connectCalls).toBe(1);
      expect(socket().listenedAtConnect).toEqual(
        jasmine.arrayContaining([
          'connect',
          'history',
          'message',
          'presence',
          'typing',
          'room_deleted',
        ]),
      );
    });

    it('when history comes out of order and messages come twice, then each seq is shown once, in order', () => {
      const room = join([aMessage(3), aMessage(1), aMessage(2)]);

      room.push('message', { message: aMessage(4) });
      room.push('message', { message: aMessage(2) });
      room.push('history', { messages: [aMessage(4), aMessage(5)] });

      expect(seqs()).toEqual([1, 2, 3, 4, 5]);
      expect(store.lines().map((line) => line.content)).toEqual([
        'message 1',
        'message 2',
        'message 3',
        'message 4',
        'message 5',
      ]);
    });

    it('when history arrives in several pages, then all pages are merged', () => {
      const room = join(messagesBetween(1, 3));

      room.push('history', { messages: messagesBetween(4, 6) });

      expect(seqs()).toEqual([1, 2, 3, 4, 5, 6]);
    });
  });

  describe('gaps', () => {
    it('when a live message skips seqs, then the missing ones are read over REST after the last one held', () => {
      const room = join(messagesBetween(1, 3));

      room.push('message', { message: aMessage(6) });
      room.push('message', { message: aMessage(7) }); // while the gap is being filled: no second request
      expectPage({ afterSeq: 3, limit: 100 }, [aMessage(4), aMessage(5), aMessage(6)]);

      expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('when the gap is longer than a page, then pages are read until caught up', () => {
      const room = join(messagesBetween(1, 3));

      room.push('message', { message: aMessage(250) });
      expectPage({ afterSeq: 3, limit: 100 }, messagesBetween(4, 103));
      expectPage({ afterSeq: 103, limit: 100 }, messagesBetween(104, 203));
      expectPage({ afterSeq: 203, limit: 100 }, messagesBetween(204, 249));

      expect(seqs()).toEqual(messagesBetween(1, 250).map((message) => message.seq));
    });

    it('when filling a gap fails, then it is tried again a little later', () => {
      const room = join(messagesBetween(1, 3));
      room.push('message', { message: aMessage(5) });

      http
        .expectOne((request) => request.params.get('afterSeq') === '3')
        .flush(
          { error: { code: 'unavailable', message: 'down' } },
          { status: 503, statusText: 'Unavailable' },
        );
      jasmine.clock().tick(GAP_RETRY_MS);
      expectPage({ afterSeq: 3, limit: 100 }, [aMessage(4)]);

      expect(seqs()).toEqual([1, 2, 3, 4, 5]);
    });
  });

  describe('reconnecting', () => {
    it('when the line drops and comes back, then the handshake asks for what came after the highest contiguous seq and the view equals the room', () => {
      const room = join(messagesBetween(1, 3));
      room.push('message', { message: aMessage(5) }); // 4 is missing: the gap fill is on its way

      room.drop();
      expect(store.status()).toBe('reconnecting');
      room.reconnect();
      room.push('history', { messages: [aMessage(4), aMessage(5), aMessage(6)] });
      expectPage({ afterSeq: 3, limit: 100 }, [aMessage(4), aMessage(5)]);

      expect(room.handshakes.map((auth) => auth.lastSeq)).toEqual([undefined, 3]);
      expect(seqs()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(store.status()).toBe('connected');
    });

    it('when an empty room reconnects, then it asks for everything after seq 0', () => {
      const room = join([]);

      room.drop();
      room.reconnect();

      expect(room.handshakes.at(-1)?.lastSeq).toBe(0);
    });

    it('when the server lets go of the socket, then it connects again after a short wait', () => {
      const room = join([]);

      room.drop('io server disconnect');
      expect(room.connectCalls).toBe(1);
      jasmine.clock().tick(RECONNECT_DELAY_MS);

      expect(room.connectCalls).toBe(2);
      expect(store.status()).toBe('reconnecting');
    });
  });

  describe('outbox', () => {
    it('when a message is sent, then it shows at once as pending and becomes the confirmed message on its ack', () => {
      const room = join(messagesBetween(1, 3));

      store.send('hello');

      const pending = store.lines().at(-1);
      expect(pending).toEqual(
        jasmine.objectContaining({ username: 'ana', content: 'hello', status: 'pending' }),
      );
      const { clientId } = room.lastSent.payload;
      expect(room.lastSent.payload).toEqual({ content: 'hello', clientId: jasmine.any(String) });
      expect(pending?.clientId).toBe(clientId ?? null);

      room.lastSent.answer(confirmedAck('hello', clientId!, 4));

      expect(seqs()).toEqual([1, 2, 3, 4]);
      expect(store.lines().length).toBe(4);
      expect(store.lines().at(-1)).toEqual(
        jasmine.objectContaining({ status: 'sent', key: pending?.key }),
      );
    });

    it('when the broadcast comes before the ack, then the pending entry is dropped and nothing is doubled', () => {
      const room = join();
      store.send('hello');
      const clientId = room.lastSent.payload.clientId!;

      room.push('message', {
        message: aMessage(1, { username: 'ana', content: 'hello', clientId }),
      });
      room.lastSent.answer(confirmedAck('hello', clientId, 1));

      expect(store.lines().map((line) => [line.content, line.status])).toEqual([['hello', 'sent']]);
    });

    it('when sent while disconnected, then it stays pending and goes out on reconnect', () => {
      const room = join();
      room.drop();

      store.send('offline');
      expect(room.sent.length).toBe(0);
      expect(store.lines()[0].status).toBe('pending');
      room.reconnect();

      expect(room.sent.length).toBe(1);
      expect(room.lastSent.payload.content).toBe('offline');
    });

    it('when the line drops before the ack, then it is resent with the same clientId after the reconnect, and shown once', () => {
      const room = join();
      store.send('hello');
      const first = room.lastSent;

      room.drop();
      expect(store.lines()[0].status).toBe('pending');
      room.reconnect();
      room.lastSent.answer(confirmedAck('hello', first.payload.clientId!, 1));

      expect(room.sent.length).toBe(2);
      expect(room.sent[1].payload).toEqual(first.payload);
      expect(store.lines().map((line) => line.status)).toEqual(['sent']);
    });

    it('when no ack comes in time, then the line is dropped and the message stays first in line, resent with the same clientId on reconnect before the next', () => {
      const room = join();
      store.send('first');
      store.send('second');

      jasmine.clock().tick(ACK_TIMEOUT_MS);
      expect(room.engineCloses).toBe(1);
      expect(store.status()).toBe('reconnecting');
      expect(store.lines().map((line) => [line.content, line.status])).toEqual([
        ['first', 'pending'],
        ['second', 'pending'],
      ]);
      expect(store.sendingNotice()).toBe('Not confirmed yet — reconnecting…');
      room.reconnect();

      expect(room.sent.map((sent) => sent.payload.content)).toEqual(['first', 'first']);
      expect(room.sent[1].payload).toEqual(room.sent[0].payload);
      room.lastSent.answer(confirmedAck('first', room.sent[0].payload.clientId!, 1));
      expect(room.lastSent.payload.content).toBe('second');
      expect(store.sendingNotice()).toBeUndefined();
    });

    it('when the browser goes offline, then the line is dropped at once and the pending message goes again on reconnect', () => {
      const room = join();
      store.send('hello');

      window.dispatchEvent(new Event('offline'));
      expect(store.status()).toBe('reconnecting');
      expect(store.lines()[0].status).toBe('pending');
      room.reconnect();

      expect(room.sent.length).toBe(2);
      expect(room.sent[1].payload).toEqual(room.sent[0].payload);
    });

    it('when the room is left with a message unconfirmed, then opening it again sends it under the same clientId, once, before newer ones', () => {
      const room = join();
      store.send('before leaving');
      const { clientId } = room.lastSent.payload;
      store.open('elsewhere');
      expect(store.lines()).toEqual([]);

      const again = join();
      expect(store.lines().map((line) => [line.content, line.status])).toEqual([
        ['before leaving', 'pending'],
      ]);
      store.send('after coming back');
      expect(again.sent.map((sent) => sent.payload)).toEqual([
        { content: 'before leaving', clientId },
      ]);
      again.lastSent.answer(confirmedAck('before leaving', clientId!, 1));

      expect(again.lastSent.payload.content).toBe('after coming back');
      expect(store.lines().map((line) => [line.content, line.status])).toEqual([
        ['before leaving', 'sent'],
        ['after coming back', 'pending'],
      ]);
    });

    it('when the session ends with a message unsent, then it goes once the user is back in the room, and a confirmed one is not sent again', () => {
      const room = join();
      store.send('confirmed');
      room.lastSent.answer(confirmedAck('confirmed', room.lastSent.payload.clientId!, 1));
      store.send('unsent');
      const { clientId } = room.lastSent.payload;
      room.drop();
      room.refuse('unauthorized');
      expect(session.clear).toHaveBeenCalled();

      const again = join([aMessage(1, { username: 'ana', content: 'confirmed' })]);

      expect(again.sent.map((sent) => sent.payload)).toEqual([{ content: 'unsent', clientId }]);
    });

    it('when the history already holds a message kept unsent (stored before the page went), then it is shown once, as sent', () => {
      const room = join();
      store.send('stored meanwhile');
      const { clientId } = room.lastSent.payload;
      store.open('elsewhere');

      const again = join([aMessage(1, { username: 'ana', content: 'stored meanwhile', clientId })]);
      again.sent.forEach((sent) => sent.answer(confirmedAck('stored meanwhile', clientId!, 1)));

      expect(again.sent.every((sent) => sent.payload.clientId === clientId)).toBeTrue();
      expect(store.lines().map((line) => [line.content, line.status])).toEqual([
        ['stored meanwhile', 'sent'],
      ]);
    });

    it('when the room is deleted, then its unsent messages are not kept for a room of the same name', () => {
      const room = join();
      store.send('too late');
      room.push('room_deleted', { name: 'general' });
      store.open('elsewhere');

      join();
      expect(store.lines()).toEqual([]);
    });

    it('when the server refuses the message, then it is failed with the reason and Retry sends it again with the same clientId', () => {
      const room = join();
      store.send('hello');
      const { clientId } = room.lastSent.payload;

      room.lastSent.answer({
        ok: false,
        error: { code: 'validation_failed', message: 'At most 4000 characters' },
      });
      expect(store.lines()[0]).toEqual(
        jasmine.objectContaining({ status: 'failed', error: 'At most 4000 characters' }),
      );
      store.retry(clientId!);

      expect(store.lines()[0].status).toBe('pending');
      expect(room.sent.length).toBe(2);
      expect(room.lastSent.payload.clientId).toBe(clientId);
    });

    it('when the server is busy, then it is retried after a backoff, then failed with a retry', () => {
      const room = join();
      store.send('hello');
      const busy: MessageAck = { ok: false, error: { code: 'rate_limited', message: 'Slow down' } };

      room.lastSent.answer(busy);
      expect(room.sent.length).toBe(1);
      jasmine.clock().tick(BUSY_BACKOFF_MS[0]);
      expect(room.sent.length).toBe(2);
      room.lastSent.answer(busy);
      jasmine.clock().tick(BUSY_BACKOFF_MS[1]);
      room.lastSent.answer(busy);

      expect(room.sent.length).toBe(3);
      expect(store.lines()[0]).toEqual(
        jasmine.objectContaining({
          status: 'failed',
          error: 'You are sending too fast. Retry in a moment.',
        }),
      );
    });

    it('when messages are written faster than they are acked, then one is on its way at a time, oldest first', () => {
      const room = join();

      store.send('one');
      store.send('two');
      store.send('three');
      expect(room.sent.map((sent) => sent.payload.content)).toEqual(['one']);
      room.lastSent.answer(confirmedAck('one', room.lastSent.payload.clientId!, 1));
      expect(room.sent.map((sent) => sent.payload.content)).toEqual(['one', 'two']);
      room.lastSent.answer(confirmedAck('two', room.lastSent.payload.clientId!, 2));
      room.lastSent.answer(confirmedAck('three', room.lastSent.payload.clientId!, 3));

      expect(room.sent.map((sent) => sent.payload.content)).toEqual(['one', 'two', 'three']);
      expect(store.lines().map((line) => [line.content, line.status])).toEqual([
        ['one', 'sent'],
        ['two', 'sent'],
        ['three', 'sent'],
      ]);
    });

    it('when the server asks to slow down, then the message waits with a notice, those after it wait behind it, and all keep the order written', () => {
      const room = join();
      store.send('first');
      store.send('second');
      const busy: MessageAck = { ok: false, error: { code: 'rate_limited', message: 'Slow down' } };

      room.lastSent.answer(busy);
      expect(store.lines().map((line) => [line.content, line.status, line.error])).toEqual([
        ['first', 'pending', 'Sending too fast — your messages go out in order in a moment…'],
        ['second', 'pending', null],
      ]);
      jasmine.clock().tick(BUSY_BACKOFF_MS[0] - 1);
      expect(room.sent.length).toBe(1);
      jasmine.clock().tick(1);
      room.lastSent.answer(confirmedAck('first', room.lastSent.payload.clientId!, 1));
      room.lastSent.answer(confirmedAck('second', room.lastSent.payload.clientId!, 2));

      expect(room.sent.map((sent) => sent.payload.content)).toEqual(['first', 'first', 'second']);
      expect(store.lines().map((line) => [line.content, line.status])).toEqual([
        ['first', 'sent'],
        ['second', 'sent'],
      ]);
    });

    it('when a message fails, then the next one goes, and Retry sends the failed one once that is answered', () => {
      const room = join();
      store.send('refused');
      store.send('next');
      const refused = room.lastSent.payload.clientId!;

      room.lastSent.answer({ ok: false, error: { code: 'validation_failed', message: 'Nope' } });
      expect(room.lastSent.payload.content).toBe('next');
      store.retry(refused);
      expect(room.sent.length).toBe(2);
      room.lastSent.answer(confirmedAck('next', room.lastSent.payload.clientId!, 1));

      expect(room.sent.map((sent) => sent.payload.content)).toEqual(['refused', 'next', 'refused']);
      expect(room.lastSent.payload.clientId).toBe(refused);
    });

    it('when the line drops while several wait, then after the reconnect they go one at a time in order', () => {
      const room = join();
      store.send('a');
      store.send('b');

      room.drop();
      room.reconnect();
      room.lastSent.answer(confirmedAck('a', room.lastSent.payload.clientId!, 1));
      room.lastSent.answer(confirmedAck('b', room.lastSent.payload.clientId!, 2));

      expect(room.sent.map((sent) => sent.payload.content)).toEqual(['a', 'a', 'b']);
      expect(store.lines().map((line) => line.content)).toEqual(['a', 'b']);
    });

    it('when a failed message is discarded, then it is gone', () => {
      const room = join();
      store.send('hello');
      room.lastSent.answer({ ok: false, error: { code: 'validation_failed', message: 'Nope' } });

      store.discard(room.lastSent.payload.clientId!);

      expect(store.lines()).toEqual([]);
    });

    it('when the ack says the room is gone, then the message fails and the room is marked deleted', () => {
      const room = join();
      store.send('hello');

      room.lastSent.answer({ ok: false, error: { code: 'room_not_found', message: 'Gone' } });

      expect(store.lines()[0]).toEqual(
        jasmine.objectContaining({ status: 'failed', error: 'This room no longer exists.' }),
      );
      expect(store.isDeleted()).toBeTrue();
    });
  });

  describe('older messages', () => {
    it('when older messages are asked for, then the page before the lowest seq is prepended until the first', () => {
      join(messagesBetween(51, 100));
      expect(store.hasOlder()).toBeTrue();

      store.loadOlder();
      store.loadOlder(); // already loading: no second request
      expect(store.isLoadingOlder()).toBeTrue();
      expectPage({ beforeSeq: 51, limit: 50 }, messagesBetween(1, 50));

      expect(seqs()).toEqual(messagesBetween(1, 100).map((message) => message.seq));
      expect(store.hasOlder()).toBeFalse();
      store.loadOlder();
    });

    it('when older messages cannot be read, then a readable error is kept and loading stops', () => {
      join(messagesBetween(51, 100));

      store.loadOlder();
      http
        .expectOne((request) => request.params.get('beforeSeq') === '51')
        .flush(null, { status: 0, statusText: 'Unknown Error' });

      expect(store.isLoadingOlder()).toBeFalse();
      expect(store.olderError()).toEqual(jasmine.any(String));
    });

    it('when the room starts at seq 1, then there is nothing older', () => {
      join(messagesBetween(1, 3));

      expect(store.hasOlder()).toBeFalse();
    });
  });

  describe('presence and typing', () => {
    it('when presence and typing events come, then users and typists are shown, typists for a few seconds', () => {
      const room = join();

      room.push('presence', { users: ['ana', 'bob'] });
      room.push('typing', { username: 'bob' });
      expect(store.users()).toEqual(['ana', 'bob']);
      expect(store.typingUsers()).toEqual(['bob']);
      jasmine.clock().tick(TYPING_SHOWN_MS);

      expect(store.typingUsers()).toEqual([]);
    });

    it('when a typist’s message arrives, then they are no longer typing', () => {
      const room = join();
      room.push('typing', { username: 'bob' });

      room.push('message', { message: aMessage(1, { username: 'bob' }) });

      expect(store.typingUsers()).toEqual([]);
    });

    it('when the user keeps typing, then `typing` is sent at most once per two seconds', () => {
      const room = join();

      store.notifyTyping();
      store.notifyTyping();
      jasmine.clock().tick(TYPING_THROTTLE_MS - 1);
      store.notifyTyping();
      expect(room.emitted.filter((sent) => sent.event === 'typing').length).toBe(1);
      jasmine.clock().tick(1);
      store.notifyTyping();

      expect(room.emitted.filter((sent) => sent.event === 'typing').length).toBe(2);
    });
  });

  describe('connection', () => {
    it('when the socket connects, drops and comes back, then the status follows', () => {
      store.open('general');
      expect(store.status()).toBe('connecting');

      socket().accept();
      expect(store.status()).toBe('connected');
      socket().drop();
      expect(store.status()).toBe('reconnecting');
      socket().reconnect();

      expect(store.status()).toBe('connected');
    });

    it('when the room is deleted, then it is marked deleted, the socket stops and pending messages fail', () => {
      const room = join();
      room.drop();
      store.send('hello');
      room.reconnect();

      room.push('room_deleted', { name: 'general' });

      expect(store.isDeleted()).toBeTrue();
      expect(store.status()).toBe('disconnected');
      expect(room.active).toBeFalse();
      expect(store.lines()[0].status).toBe('failed');
      store.send('anyone?');
      expect(store.lines().length).toBe(1);
    });

    it('when the handshake says room_not_found, then the room is marked deleted', () => {
      store.open('general');

      socket().refuse('room_not_found');

      expect(store.isDeleted()).toBeTrue();
      expect(store.status()).toBe('disconnected');
    });

    it('when the handshake says unauthorized, then the session is forgotten and the user goes to sign in, told why', () => {
      const navigate = spyOn(TestBed.inject(Router), 'navigate').and.resolveTo(true);
      store.open('general');

      socket().refuse('unauthorized');

      expect(session.clear).toHaveBeenCalled();
      expect(navigate).toHaveBeenCalledWith(
        ['/sign-in'],
        jasmine.objectContaining({ queryParams: jasmine.objectContaining({ ended: 1 }) }),
      );
    });

    it('when the server is unavailable, then it says so and tries again on its own', () => {
      store.open('general');

      socket().refuse('unavailable');
      expect(store.status()).toBe('reconnecting');
      expect(store.connectionError()).toContain('temporarily unavailable');
      jasmine.clock().tick(RECONNECT_DELAY_MS);

      expect(socket().connectCalls).toBe(2);
    });

    it('when another room is opened, then the first socket is closed and its state forgotten', () => {
      const first = join(messagesBetween(1, 3));

      store.open('random');

      expect(first.active).toBeFalse();
      expect(first.listenerCount('message')).toBe(0);
      expect(first.io.listenerCount('reconnect_attempt')).toBe(0);
      expect(socket().roomName).toBe('random');
      expect(store.messages()).toEqual([]);
    });
  });
});

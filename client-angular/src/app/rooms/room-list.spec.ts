import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import type { Room, RoomsPage } from '@parley/contracts';
import { BlankPage } from '../../testing/blank-page';
import { buttonNamed, buttonsNamed, byLabel, settle, typeInto } from '../../testing/dom';
import { RoomList } from './room-list';
import { RoomsApi } from './rooms-api';
import { useFakeBackend, signInAs } from '../../testing/fake-backend';

describe('RoomList', () => {
  const ada = { id: 1, username: 'ada' };
  const bob = { id: 2, username: 'bob' };
  let nextId = 1;
  const room = (name: string, owner = bob): Room => ({
    id: nextId++,
    name,
    owner,
    createdAt: '2026-03-04T10:20:00.000Z',
  });

  let harness: RouterTestingHarness;
  let backend: HttpTestingController;
  let root: HTMLElement;

  beforeEach(async () => {
    backend = useFakeBackend([
      { path: 'rooms', component: RoomList },
      { path: 'rooms/:name', component: BlankPage },
    ]);
    await signInAs(backend, ada);
  });

  afterEach(() => backend.verify());

  async function openWith(firstPage: RoomsPage): Promise<void> {
    harness = await RouterTestingHarness.create('/rooms');
    root = harness.routeNativeElement as HTMLElement;
    answerList({}, firstPage);
    await stable();
  }

  function answerList(expected: { q?: string; cursor?: string }, page: RoomsPage): void {
    const request = backend.expectOne((r) => r.method === 'GET' && r.url === '/api/rooms');
    expect(request.request.params.get('q')).toBe(expected.q ?? null);
    expect(request.request.params.get('cursor')).toBe(expected.cursor ?? null);
    request.flush(page);
  }

  async function stable(ms = 0): Promise<void> {
    await settle(ms);
    await harness.fixture.whenStable();
  }

  const shownNames = () =>
    Array.from(root.querySelectorAll('.room-list__name')).map((link) => link.textContent?.trim());
  const dialog = () => root.querySelector('dialog') as HTMLDialogElement;
  const searchField = () => byLabel(root, 'Search rooms');

  it('lists rooms with a link into each, the owner and the date in the reader’s locale', async () => {
    await openWith({ rooms: [room('phòng-họp', ada)], nextCursor: null });

    const link = root.querySelector<HTMLAnchorElement>('.room-list__name');
    expect(link?.getAttribute('href')).toBe(`/rooms/${encodeURIComponent('phòng-họp')}`);
    const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(
      new Date('2026-03-04T10:20:00.000Z'),
    );
    expect(root.querySelector('.room-list__meta')?.textContent).toContain(`by ada`);
    expect(root.querySelector('time')?.textContent).toBe(date);
    expect(root.textContent).toContain('1 room.');
  });

  it('searches once typing pauses: quick keystrokes send one request', async () => {
    await openWith({ rooms: [room('general'), room('random')], nextCursor: null });
    const list = spyOn(TestBed.inject(RoomsApi), 'list').and.callThrough();
    expect(searchField().type).toBe('search');

    for (const typed of ['g', 'ge', 'gen']) {
      typeInto(searchField(), typed);
      await stable(60);
    }
    expect(list).not.toHaveBeenCalled();
    await stable(300);

    expect(list).toHaveBeenCalledOnceWith('gen', null);
    answerList({ q: 'gen' }, { rooms: [room('general')], nextCursor: null });
    await stable();
    expect(shownNames()).toEqual(['general']);
    expect(root.textContent).toContain('1 room matching “gen”.');
  });

  it('keeps the search in the address, so coming Back to the list shows the same search', async () => {
    await openWith({ rooms: [room('general'), room('team-a')], nextCursor: null });
    typeInto(searchField(), 'team');
    await stable(300);
    answerList({ q: 'team' }, { rooms: [room('team-a')], nextCursor: null });
    await stable();
    expect(TestBed.inject(Router).url).toBe('/rooms?q=team');

    // Into a room and Back: the page is made anew from the address.
    await harness.navigateByUrl('/rooms/team-a');
    await harness.navigateByUrl('/rooms?q=team');
    root = harness.routeNativeElement as HTMLElement;
    answerList({ q: 'team' }, { rooms: [room('team-a')], nextCursor: null });
    await stable();

    expect(searchField().value).toBe('team');
    expect(shownNames()).toEqual(['team-a']);
  });

  it('drops the answer to a search that a newer one replaced', async () => {
    await openWith({ rooms: [], nextCursor: null });

    typeInto(searchField(), 'a');
    await stable(300);
    const stale = backend.expectOne((r) => r.params.get('q') === 'a');
    typeInto(searchField(), 'ab');
    await stable(300);

    expect(stale.cancelled).toBeTrue();
    answerList({ q: 'ab' }, { rooms: [], nextCursor: null });
    await stable();
    expect(root.textContent).toContain('No rooms match “ab”.');
  });

  it('"Load more rooms" appends the next page of the same search until there is none', async () => {
    await openWith({ rooms: [room('a-1'), room('a-2')], nextCursor: 'after-a-2' });
    expect(root.textContent).toContain('Showing 2 rooms; there are more.');

    buttonNamed(root, 'Load more rooms').click();
    await stable();
    answerList({ cursor: 'after-a-2' }, { rooms: [room('a-3')], nextCursor: null });
    await stable();

    expect(shownNames()).toEqual(['a-1', 'a-2', 'a-3']);
    expect(buttonsNamed(root, 'Load more rooms')).toEqual([]);
    // The button, which had the focus, is gone: keyboard users go on from the first new room.
    expect(document.activeElement?.textContent?.trim()).toBe('a-3');
    expect(root.textContent).toContain('3 rooms.');
    expect(root.textContent).not.toContain('Showing');
  });

  it('when the tab is shown again, then the first page is read again (a room deleted meanwhile goes)', async () => {
    await openWith({ rooms: [room('b-1'), room('b-2')], nextCursor: null });

    document.dispatchEvent(new Event('visibilitychange'));
    answerList({}, { rooms: [room('b-2')], nextCursor: null });
    await stable();

    expect(shownNames()).toEqual(['b-2']);
  });

  it('when the tab is shown again after more pages were loaded, then the list is left as it is', async () => {
    await openWith({ rooms: [room('c-1')], nextCursor: 'after-c-1' });
    buttonNamed(root, 'Load more rooms').click();
    await stable();
    answerList({ cursor: 'after-c-1' }, { rooms: [room('c-2')], nextCursor: null });
    await stable();

    document.dispatchEvent(new Event('visibilitychange'));

    backend.expectNone((r) => r.url === '/api/rooms');
    expect(shownNames()).toEqual(['c-1', 'c-2']);
  });

  it('offers to delete only the rooms the signed-in user owns', async () => {
    await openWith({ rooms: [room('mine', ada), room('theirs', bob)], nextCursor: null });

    expect(buttonsNamed(root, 'Delete room mine').length).toBe(1);
    expect(buttonsNamed(root, 'Delete room theirs')).toEqual([]);
  });

  it('shows no dialog box until a deletion is asked for, nor after it is cancelled', async () => {
    await openWith({ rooms: [room('mine', ada)], nextCursor: null });
    const isShown = () => dialog().getBoundingClientRect().height > 0;
    expect(isShown()).toBeFalse();

    buttonNamed(root, 'Delete room mine').click();
    await stable();
    expect(isShown()).toBeTrue();

    buttonNamed(root, 'Cancel').click();
    await stable();
    expect(isShown()).toBeFalse();
  });

  it('asks for confirmation before deleting, and Cancel deletes nothing', async () => {
    await openWith({ rooms: [room('mine', ada)], nextCursor: null });

    buttonNamed(root, 'Delete room mine').click();
    await stable();
    expect(dialog().open).toBeTrue();
    expect(dialog().textContent).toContain('Delete room mine?');
    backend.expectNone((r) => r.method === 'DELETE');

    buttonNamed(root, 'Cancel').click();
    await stable();
    expect(dialog().open).toBeFalse();
    expect(shownNames()).toEqual(['mine']);
  });

  it('deletes the room once confirmed and takes it off the list', async () => {
    await openWith({ rooms: [room('mine', ada), room('theirs', bob)], nextCursor: null });

    buttonNamed(root, 'Delete room mine').click();
    await stable();
    buttonNamed(root, 'Delete').click();
    backend
      .expectOne({ method: 'DELETE', url: '/api/rooms/mine' })
      .flush(null, { status: 204, statusText: 'No Content' });
    await stable();

    expect(dialog().open).toBeFalse();
    expect(shownNames()).toEqual(['theirs']);
    expect(root.querySelector('[aria-live="polite"]')?.textContent).toContain('Room mine deleted.');
    // Its Delete button is gone with it: the focus is on the list's heading, not lost.
    expect(document.activeElement?.textContent?.trim()).toBe('All rooms');
  });

  it('explains a refused deletion in the dialog', async () => {
    await openWith({ rooms: [room('mine', ada)], nextCursor: null });

    buttonNamed(root, 'Delete room mine').click();
    await stable();
    buttonNamed(root, 'Delete').click();
    backend
      .expectOne({ method: 'DELETE', url: '/api/rooms/mine' })
      .flush(
        { error: { code: 'forbidden', message: 'x' } },
        { status: 403, statusText: 'Forbidden' },
      );
    await stable();

    expect(dialog().open).toBeTrue();
    expect(dialog().querySelector('[role="alert"]')?.textContent?.trim()).toBe(
      'Only the owner of this room can do that.',
    );
    expect(shownNames()).toEqual(['mine']);
  });

  it('says when the rooms cannot be loaded and tries again on request', async () => {
    harness = await RouterTestingHarness.create('/rooms');
    root = harness.routeNativeElement as HTMLElement;
    backend
      .expectOne((r) => r.url === '/api/rooms')
      .flush(
        { error: { code: 'unavailable', message: 'x' } },
        { status: 503, statusText: 'Unavailable' },
      );
    await stable();
    expect(root.querySelector('[role="alert"]')?.textContent).toContain(
      'Parley is temporarily unavailable.',
    );

    buttonNamed(root, 'Try again').click();
    answerList({}, { rooms: [room('general')], nextCursor: null });
    await stable();

    expect(root.querySelector('[role="alert"]')).toBeNull();
    expect(shownNames()).toEqual(['general']);
  });

  it('opens a room right after creating it', async () => {
    await openWith({ rooms: [], nextCursor: null });

    typeInto(byLabel(root, 'New room name'), 'Team Chat');
    buttonNamed(root, 'Create room').click();
    await stable();
    backend
      .expectOne({ method: 'POST', url: '/api/rooms' })
      .flush({ room: room('team-chat', ada) }, { status: 201, statusText: 'Created' });
    await stable();

    expect(TestBed.inject(Router).url).toBe('/rooms/team-chat');
  });
});

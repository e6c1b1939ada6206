import { computed, Injectable, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { ActivatedRoute } from '@angular/router';
import type { Room, RoomsPage } from '@parley/contracts';
import {
  catchError,
  debounceTime,
  distinctUntilChanged,
  filter,
  fromEvent,
  map,
  merge,
  of,
  skip,
  startWith,
  Subject,
  switchMap,
  tap,
} from 'rxjs';
import { errorSentence } from '../core/error-messages';
import { RoomsApi } from './rooms-api';

export const SEARCH_DEBOUNCE_MS = 250;

interface PageRequest {
  q: string;
  cursor: string | null;
}

type PageResult =
  { request: PageRequest; page: RoomsPage } | { request: PageRequest; error: unknown };

/**
 * The rooms shown for the search field: the first page once typing pauses, further pages on
 * demand. One request at a time: a newer search or page cancels the one in flight, so a slow
 * answer to an old query never replaces a newer one. Coming back to the tab reads the first page
 * again (rooms deleted or created meanwhile), unless more pages were loaded. Provided per RoomList.
 */
@Injectable()
export class RoomDirectory {
  private readonly api = inject(RoomsApi);
  private readonly requests = new Subject<PageRequest>();
  private lastRequest: PageRequest = { q: '', cursor: null };

  /** Starts from the page's `q` (kept in the address, so Back returns to the same search). */
  readonly query = signal(inject(ActivatedRoute).snapshot.queryParamMap.get('q') ?? '');
  readonly shownQuery = signal('');
  readonly rooms = signal<Room[]>([]);
  readonly isLoading = signal(false);
  readonly error = signal<string | null>(null);
  private readonly nextCursor = signal<string | null>(null);
  private pagesShown = 0;
  readonly hasMore = computed(() => this.nextCursor() !== null);

  constructor() {
    const searches = toObservable(this.query).pipe(
      skip(1),
      debounceTime(SEARCH_DEBOUNCE_MS),
      startWith(this.query()),
      map((q) => q.trim()),
      distinctUntilChanged(),
      map((q): PageRequest => ({ q, cursor: null })),
    );
    const comebacks = fromEvent(document, 'visibilitychange').pipe(
      filter(() => document.visibilityState === 'visible'),
      filter(() => this.pagesShown === 1 && !this.isLoading()),
      map((): PageRequest => ({ q: this.shownQuery(), cursor: null })),
    );
    merge(searches, this.requests, comebacks)
      .pipe(
        tap((request) => this.start(request)),
        switchMap((request) =>
          this.api.list(request.q, request.cursor).pipe(
            map((page): PageResult => ({ request, page })),
            catchError((error: unknown) => of<PageResult>({ request, error })),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((result) => this.show(result));
  }

  loadMore(): void {
    const cursor = this.nextCursor();
    if (cursor && !this.isLoading()) this.requests.next({ q: this.shownQuery(), cursor });
  }

  /** Repeats the request that failed. */
  retry(): void {
    this.requests.next(this.lastRequest);
  }

  /** Drops a room that no longer exists from the list. */
  remove(name: string): void {
    this.rooms.update((rooms) => rooms.filter((room) => room.name !== name));
  }

  private start(request: PageRequest): void {
    this.lastRequest = request;
    this.isLoading.set(true);
    this.error.set(null);
  }

  private show(result: PageResult): void {
    this.isLoading.set(false);
    if ('error' in result) return this.error.set(errorSentence(result.error));
    const { request, page } = result;
    this.rooms.update((rooms) => (request.cursor ? [...rooms, ...page.rooms] : page.rooms));
    this.pagesShown = request.cursor ? this.pagesShown + 1 : 1;
    this.nextCursor.set(page.nextCursor);
    this.shownQuery.set(request.q);
  }
}

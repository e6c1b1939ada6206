import {
  afterNextRender,
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  computed,
  ElementRef,
  inject,
  Injector,
  signal,
} from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import type { Room } from '@parley/contracts';
import { Session } from '../core/session';
import { LocalDatePipe } from '../shared/local-date-pipe';
import { CreateRoom } from './create-room';
import { DeleteRoom } from './delete-room';
import { RoomDirectory } from './room-directory';

@Component({
  selector: 'app-room-list',
  imports: [RouterLink, CreateRoom, DeleteRoom, LocalDatePipe],
  providers: [RoomDirectory],
  templateUrl: './room-list.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RoomList {
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly session = inject(Session);
  protected readonly directory = inject(RoomDirectory);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);
  /** How many rooms were shown when "Load more rooms" was used: the focus goes to the next one. */
  private focusFrom: number | null = null;

  protected readonly roomToDelete = signal<Room | null>(null);
  /** Read out politely: what the list now shows, or what just happened. */
  protected readonly status = signal('');
  protected readonly summary = computed(() => {
    const count = this.directory.rooms().length;
    const query = this.directory.shownQuery();
    const rooms = `${count} ${count === 1 ? 'room' : 'rooms'}${query ? ` matching “${query}”` : ''}`;
    // Pages carry no total: with more to load, the count is only what is shown so far.
    if (count > 0)
      return this.directory.hasMore() ? `Showing ${rooms}; there are more.` : `${rooms}.`;
    return query ? `No rooms match “${query}”.` : 'No rooms yet — create the first one.';
  });

  constructor() {
    // The button goes once the last page is in: keyboard users go on from the first new room.
    afterRenderEffect(() => {
      const count = this.directory.rooms().length;
      if (this.focusFrom === null || count <= this.focusFrom) return;
      const links = this.host.nativeElement.querySelectorAll<HTMLElement>('.room-list__name');
      links[this.focusFrom]?.focus();
      this.focusFrom = null;
    });
  }

  protected loadMore(): void {
    this.focusFrom = this.directory.rooms().length;
    this.directory.loadMore();
  }

  protected isOwner(room: Room): boolean {
    return room.owner.id === this.session.user()?.id;
  }

  protected search(value: string): void {
    this.directory.query.set(value);
    // In place of the current entry: Back leaves the page rather than undoing keystrokes.
    void this.router.navigate([], {
      relativeTo: this.route,
      queryParams: { q: value.trim() || null },
      replaceUrl: true,
    });
  }

  protected open(room: Room): void {
    void this.router.navigate(['/rooms', room.name]);
  }

  protected onDeleted(room: Room): void {
    this.directory.remove(room.name);
    this.roomToDelete.set(null);
    this.status.set(`Room ${room.name} deleted.`);
    // Its Delete button, which had the focus, is gone: the list's heading takes it.
    afterNextRender(
      () => this.host.nativeElement.querySelector<HTMLElement>('#rooms-title')?.focus(),
      { injector: this.injector },
    );
  }
}

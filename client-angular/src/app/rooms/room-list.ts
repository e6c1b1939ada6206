import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
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
  }
}

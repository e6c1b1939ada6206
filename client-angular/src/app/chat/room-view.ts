import {
  afterNextRender,
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  ElementRef,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { Title } from '@angular/platform-browser';
import { RouterLink } from '@angular/router';
import { canonicalRoomName } from '@parley/contracts';
import { Session } from '../core/session';
import { ChatStore, type ConnectionStatus } from './chat-store';
import { Composer, type DraftOf } from './composer';
import { MessageList } from './message-list';
import { TypingIndicator } from './typing-indicator';

const STATUS_TEXT: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost — reconnecting…',
  disconnected: 'Disconnected',
};

/** A room's page: who is here, the conversation, and the composer; the whole viewport tall. */
@Component({
  selector: 'app-room-view',
  imports: [RouterLink, MessageList, Composer, TypingIndicator],
  providers: [ChatStore],
  templateUrl: './room-view.html',
  styleUrl: './room-view.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[style.--room-top]': 'top() + "px"', '(window:resize)': 'measureTop()' },
})
export class RoomView {
  protected readonly store = inject(ChatStore);
  private readonly title = inject(Title);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly session = inject(Session);

  /** The route's `:name`. */
  readonly name = input.required<string>();
  protected readonly room = computed(() => canonicalRoomName(this.name()));
  protected readonly draftOf = computed<DraftOf | null>(() => {
    const userId = this.session.user()?.id;
    return userId === undefined ? null : { userId, room: this.room() };
  });
  protected readonly statusText = computed(() => STATUS_TEXT[this.store.status()]);
  /** Where the page starts below the app bar, so the room can take exactly the rest. */
  protected readonly top = signal(0);

  constructor() {
    effect(() => {
      const room = this.room();
      untracked(() => {
        this.title.setTitle(`${room} · Parley`);
        this.store.open(room);
      });
    });
    afterNextRender(() => this.measureTop());
  }

  protected measureTop(): void {
    this.top.set(this.host.nativeElement.getBoundingClientRect().top + window.scrollY);
  }
}

import {
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  type ElementRef,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import type { Room } from '@parley/contracts';
import { firstValueFrom } from 'rxjs';
import { errorSentence, isApiError } from '../core/error-messages';
import { RoomsApi } from './rooms-api';

/**
 * Asks "Delete room x?" in a native modal dialog while `room` is set: it traps focus, closes on
 * Escape and returns focus to the button that opened it.
 */
@Component({
  selector: 'app-delete-room',
  templateUrl: './delete-room.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DeleteRoom {
  private readonly api = inject(RoomsApi);
  readonly room = input<Room | null>(null);
  readonly deleted = output<Room>();
  /** The dialog closed without deleting (Cancel or Escape). */
  readonly dismissed = output<void>();

  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  protected readonly error = signal<string | null>(null);
  protected readonly isBusy = signal(false);

  constructor() {
    afterRenderEffect(() => {
      const dialog = this.dialog().nativeElement;
      if (this.room() && !dialog.open) dialog.showModal();
      if (!this.room() && dialog.open) dialog.close();
    });
  }

  protected async confirm(room: Room): Promise<void> {
    if (this.isBusy()) return;
    this.isBusy.set(true);
    this.error.set(null);
    try {
      await firstValueFrom(this.api.remove(room.name), { defaultValue: undefined });
      this.deleted.emit(room);
    } catch (error) {
      // Already gone is what was asked for.
      if (isApiError(error) && error.code === 'room_not_found') this.deleted.emit(room);
      else this.error.set(errorSentence(error));
    } finally {
      this.isBusy.set(false);
    }
  }

  protected onClose(): void {
    this.error.set(null);
    if (this.room()) this.dismissed.emit();
  }
}

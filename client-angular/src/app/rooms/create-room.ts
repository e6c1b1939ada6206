import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  output,
  signal,
} from '@angular/core';
import { canonicalRoomName, LIMITS, roomNameSchema, type Room } from '@parley/contracts';
import { firstValueFrom } from 'rxjs';
import { placeError } from '../shared/field-errors';
import { schemaError } from '../shared/schema-error';
import { RoomsApi } from './rooms-api';

@Component({
  selector: 'app-create-room',
  templateUrl: './create-room.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CreateRoom {
  private readonly api = inject(RoomsApi);
  /** Emits the room once the server has created it. */
  readonly created = output<Room>();

  protected readonly maxLength = LIMITS.roomNameMaxLength;
  protected readonly name = signal('');
  protected readonly preview = computed(() => canonicalRoomName(this.name()));
  private readonly isSubmitted = signal(false);
  private readonly serverError = signal<string | null>(null);
  protected readonly isBusy = signal(false);
  // Checked as you type once there is something to check; an empty field only on submit.
  protected readonly error = computed(() => {
    const isChecked = this.isSubmitted() || this.preview() !== '';
    return this.serverError() ?? (isChecked ? schemaError(roomNameSchema, this.name()) : null);
  });

  protected edit(value: string): void {
    this.name.set(value);
    this.serverError.set(null);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    this.isSubmitted.set(true);
    if (this.isBusy() || this.error()) return;
    this.isBusy.set(true);
    try {
      const room = await firstValueFrom(this.api.create(this.name()));
      this.name.set('');
      this.isSubmitted.set(false);
      this.created.emit(room);
    } catch (error) {
      const placed = placeError(error, ['name']);
      this.serverError.set(placed.fields.name ?? placed.form);
    } finally {
      this.isBusy.set(false);
    }
  }
}

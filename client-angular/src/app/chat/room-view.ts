import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-room-view',
  template: '<p>RoomView</p>',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RoomView {}

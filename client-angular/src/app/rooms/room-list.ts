import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-room-list',
  template: '<p>RoomList</p>',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RoomList {}

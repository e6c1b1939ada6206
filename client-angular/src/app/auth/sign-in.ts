import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-sign-in',
  template: '<p>SignIn</p>',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SignIn {}

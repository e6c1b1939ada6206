import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  signal,
} from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { emailSchema } from '@parley/contracts';
import { describeError, errorSentence } from '../core/error-messages';
import { Session } from '../core/session';
import { schemaError } from '../shared/schema-error';
import { safeReturnUrl } from './return-url';

@Component({
  selector: 'app-sign-in',
  imports: [RouterLink],
  templateUrl: './sign-in.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SignIn {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  /** The `returnUrl` query parameter (bound by the router). */
  readonly returnUrl = input<string>();
  /** The `ended` query parameter: the server ended the session (e.g. signed out in another tab). */
  readonly ended = input<string>();
  protected readonly endedNotice = computed(() =>
    this.ended() ? describeError({ code: 'unauthorized' }) : null,
  );

  protected readonly email = signal('');
  protected readonly password = signal('');
  protected readonly isSubmitted = signal(false);
  protected readonly isBusy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly emailError = computed(() =>
    this.isSubmitted() ? schemaError(emailSchema, this.email(), 'Enter your email address.') : null,
  );
  protected readonly passwordError = computed(() =>
    this.isSubmitted() && this.password() === '' ? 'Enter your password.' : null,
  );
  protected readonly registerParams = computed(() =>
    this.returnUrl() ? { returnUrl: this.returnUrl() } : {},
  );

  constructor() {
    void this.session.resolve();
    // Already signed in, or signed in meanwhile in another tab: on to where the user was going.
    effect(() => {
      if (this.session.isSignedIn() && !this.isBusy()) {
        void this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
      }
    });
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    this.isSubmitted.set(true);
    if (this.isBusy() || this.emailError() || this.passwordError()) return;
    this.isBusy.set(true);
    this.error.set(null);
    try {
      await this.session.signIn(this.email().trim(), this.password());
      await this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
    } catch (error) {
      this.error.set(errorSentence(error));
    } finally {
      this.isBusy.set(false);
    }
  }
}

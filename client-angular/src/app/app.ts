import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { Router, RouterLink, RouterOutlet } from '@angular/router';
import { errorSentence } from './core/error-messages';
import { Session } from './core/session';

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink],
  templateUrl: './app.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  private readonly router = inject(Router);
  protected readonly session = inject(Session);

  /** Why the last sign out did not happen (e.g. the server is out of reach), until the next try. */
  protected readonly signOutError = signal<string | null>(null);

  protected async signOut(): Promise<void> {
    this.signOutError.set(null);
    try {
      await this.session.signOut();
    } catch (error) {
      this.signOutError.set(`Not signed out: ${errorSentence(error)}`);
      return;
    }
    await this.router.navigate(['/sign-in']);
  }
}

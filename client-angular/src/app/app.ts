import {
  afterNextRender,
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  inject,
  Injector,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { NavigationEnd, Router, RouterLink, RouterOutlet } from '@angular/router';
import { filter } from 'rxjs';
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

  constructor() {
    // A new page whose own content took no focus (e.g. no field to type in): its heading takes
    // it, so keyboard and screen-reader users start at the top of what changed, not of the body.
    const host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
    const injector = inject(Injector);
    this.router.events
      .pipe(
        filter((event) => event instanceof NavigationEnd),
        takeUntilDestroyed(),
      )
      .subscribe(() =>
        afterNextRender(
          () => {
            const heading = host.querySelector<HTMLElement>('main h1');
            const focused = document.activeElement;
            if (!heading || (focused && focused !== document.body)) return;
            heading.tabIndex = -1;
            heading.focus();
          },
          { injector },
        ),
      );
  }

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

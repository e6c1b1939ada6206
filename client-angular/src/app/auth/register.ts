import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { emailSchema, LIMITS, passwordSchema, usernameSchema } from '@parley/contracts';
import { Session } from '../core/session';
import { placeError } from '../shared/field-errors';
import { schemaError } from '../shared/schema-error';
import { safeReturnUrl } from './return-url';

type Field = 'email' | 'username' | 'password';
type FieldErrors = Partial<Record<Field, string | null>>;

const FIELDS: readonly Field[] = ['email', 'username', 'password'];
const SCHEMAS = { email: emailSchema, username: usernameSchema, password: passwordSchema };
const BLANK: Record<Field, string> = {
  email: 'Enter your email address.',
  username: 'Choose a username.',
  password: 'Choose a password.',
};
const FIELD_OF_CODE: Partial<Record<string, Field>> = {
  email_taken: 'email',
  username_taken: 'username',
};

@Component({
  selector: 'app-register',
  imports: [RouterLink],
  templateUrl: './register.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Register {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  /** The `returnUrl` query parameter (bound by the router). */
  readonly returnUrl = input<string>();

  protected readonly limits = LIMITS;
  protected readonly values = signal<Record<Field, string>>({
    email: '',
    username: '',
    password: '',
  });
  private readonly touched = signal<ReadonlySet<Field>>(new Set());
  private readonly serverErrors = signal<FieldErrors>({});
  protected readonly formError = signal<string | null>(null);
  protected readonly isBusy = signal(false);
  /** Per field: the server's word on the last submit until the field changes, else the schema's. */
  protected readonly errors = computed<FieldErrors>(() => {
    const shown = (field: Field) =>
      this.serverErrors()[field] ??
      (this.touched().has(field)
        ? schemaError(SCHEMAS[field], this.values()[field], BLANK[field])
        : null);
    return { email: shown('email'), username: shown('username'), password: shown('password') };
  });
  protected readonly signInParams = computed(() =>
    this.returnUrl() ? { returnUrl: this.returnUrl() } : {},
  );

  protected edit(field: Field, value: string): void {
    this.values.update((values) => ({ ...values, [field]: value }));
    this.serverErrors.update((errors) => ({ ...errors, [field]: null }));
  }

  protected touch(field: Field): void {
    this.touched.update((touched) => new Set([...touched, field]));
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    this.touched.set(new Set(FIELDS));
    if (this.isBusy() || FIELDS.some((field) => this.errors()[field])) return;
    this.isBusy.set(true);
    this.formError.set(null);
    try {
      const { email, username, password } = this.values();
      await this.session.register(email.trim(), username, password);
      await this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
    } catch (error) {
      const placed = placeError(error, FIELDS, FIELD_OF_CODE);
      this.serverErrors.set(placed.fields);
      this.formError.set(placed.form);
    } finally {
      this.isBusy.set(false);
    }
  }
}

// Test-only DOM helpers: find things the way people do (by visible label or text), then act.

/** The form control whose visible <label for> reads `text`. */
export function byLabel(root: HTMLElement, text: string): HTMLInputElement {
  const label = Array.from(root.querySelectorAll('label')).find(
    (candidate) => candidate.textContent?.trim() === text,
  );
  const control = label
    ? root.querySelector<HTMLInputElement>(`#${CSS.escape(label.htmlFor)}`)
    : null;
  if (!control) throw new Error(`No control labelled "${text}"`);
  return control;
}

/** The buttons whose accessible text (visible plus visually hidden) reads `text`. */
export function buttonsNamed(root: HTMLElement, text: string): HTMLButtonElement[] {
  return Array.from(root.querySelectorAll('button')).filter(
    (button) => button.textContent?.replace(/\s+/g, ' ').trim() === text,
  );
}

export function buttonNamed(root: HTMLElement, text: string): HTMLButtonElement {
  const [button] = buttonsNamed(root, text);
  if (!button) throw new Error(`No button named "${text}"`);
  return button;
}

export function typeInto(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('input'));
}

/** The error text an input points at with aria-describedby, if any. */
export function describedErrorOf(root: HTMLElement, input: HTMLInputElement): string | null {
  const ids = input.getAttribute('aria-describedby')?.split(/\s+/) ?? [];
  const errors = ids
    .map((id) => root.querySelector(`#${CSS.escape(id)}`))
    .filter((element) => element?.classList.contains('field__error'));
  return errors[0]?.textContent?.trim() ?? null;
}

/** Lets pending promises, timers and change detection run. */
export function settle(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

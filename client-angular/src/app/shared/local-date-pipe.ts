import { Pipe, type PipeTransform } from '@angular/core';

/**
 * An ISO 8601 time in the reader's own locale (the browser's), which Angular's DatePipe does not
 * do: it formats with the app's LOCALE_ID, en-US unless configured.
 */
@Pipe({ name: 'localDate' })
export class LocalDatePipe implements PipeTransform {
  transform(iso: string, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium' }): string {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? ''
      : new Intl.DateTimeFormat(undefined, options).format(date);
  }
}

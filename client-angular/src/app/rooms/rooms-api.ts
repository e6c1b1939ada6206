import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { LIMITS, type Room, type RoomsPage } from '@parley/contracts';
import { map, type Observable } from 'rxjs';

/** The rooms REST calls. Errors arrive as ApiError (see the session interceptor). */
@Injectable({ providedIn: 'root' })
export class RoomsApi {
  private readonly http = inject(HttpClient);

  /** One page of rooms whose name contains `q`, ordered by name; unsubscribing cancels it. */
  list(
    q: string,
    cursor: string | null = null,
    limit: number = LIMITS.roomsPageDefault,
  ): Observable<RoomsPage> {
    let params = new HttpParams().set('limit', limit);
    if (q) params = params.set('q', q);
    if (cursor) params = params.set('cursor', cursor);
    return this.http.get<RoomsPage>('/api/rooms', { params });
  }

  create(name: string): Observable<Room> {
    return this.http.post<{ room: Room }>('/api/rooms', { name }).pipe(map(({ room }) => room));
  }

  remove(name: string): Observable<void> {
    return this.http.delete<void>(`/api/rooms/${encodeURIComponent(name)}`);
  }
}

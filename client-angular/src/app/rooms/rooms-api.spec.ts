import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { Room } from '@parley/contracts';
import { firstValueFrom } from 'rxjs';
import { RoomsApi } from './rooms-api';

describe('RoomsApi', () => {
  const room: Room = {
    id: 1,
    name: 'phòng-họp',
    owner: { id: 1, username: 'ada' },
    createdAt: '2026-01-02T03:04:05.000Z',
  };
  let api: RoomsApi;
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    api = TestBed.inject(RoomsApi);
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  it('lists a page of rooms with the search, cursor and limit as query parameters', async () => {
    const page = firstValueFrom(api.list('100%', 'cursor-2', 50));
    const request = backend.expectOne((r) => r.url === '/api/rooms');
    expect(request.request.method).toBe('GET');
    expect(request.request.params.get('q')).toBe('100%');
    expect(request.request.params.get('cursor')).toBe('cursor-2');
    expect(request.request.params.get('limit')).toBe('50');
    expect(request.request.urlWithParams).toContain('q=100%25');
    request.flush({ rooms: [room], nextCursor: null });

    expect(await page).toEqual({ rooms: [room], nextCursor: null });
  });

  it('leaves out an empty search and a missing cursor', () => {
    api.list('').subscribe();
    const request = backend.expectOne((r) => r.url === '/api/rooms');
    expect(request.request.params.keys()).toEqual(['limit']);
    request.flush({ rooms: [], nextCursor: null });
  });

  it('creates a room and answers with it', async () => {
    const created = firstValueFrom(api.create('Phòng họp'));
    const request = backend.expectOne({ method: 'POST', url: '/api/rooms' });
    expect(request.request.body).toEqual({ name: 'Phòng họp' });
    request.flush({ room }, { status: 201, statusText: 'Created' });

    expect(await created).toEqual(room);
  });

  it('deletes a room by its encoded name', () => {
    api.remove('phòng-họp').subscribe();
    backend
      .expectOne({ method: 'DELETE', url: `/api/rooms/${encodeURIComponent('phòng-họp')}` })
      .flush(null, { status: 204, statusText: 'No Content' });
  });
});

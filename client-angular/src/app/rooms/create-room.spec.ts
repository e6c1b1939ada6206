import type { HttpTestingController } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Room } from '@parley/contracts';
import { buttonNamed, byLabel, describedErrorOf, settle, typeInto } from '../../testing/dom';
import { CreateRoom } from './create-room';
import { useFakeBackend } from '../../testing/fake-backend';

describe('CreateRoom', () => {
  let fixture: ComponentFixture<CreateRoom>;
  let backend: HttpTestingController;
  let root: HTMLElement;
  let created: Room[];

  beforeEach(async () => {
    backend = useFakeBackend([]);
    fixture = TestBed.createComponent(CreateRoom);
    created = [];
    fixture.componentInstance.created.subscribe((room) => created.push(room));
    root = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
  });

  afterEach(() => backend.verify());

  const nameInput = () => byLabel(root, 'New room name');

  async function type(value: string): Promise<void> {
    typeInto(nameInput(), value);
    await stable();
  }

  async function stable(): Promise<void> {
    await settle();
    await fixture.whenStable();
  }

  async function submit(): Promise<void> {
    buttonNamed(root, 'Create room').click();
    await stable();
  }

  it('previews the canonical name the room will get', async () => {
    await type('  Phòng Họp  Team ');

    expect(root.querySelector('#create-room-hint')?.textContent).toContain(
      'It will be called phòng-họp-team.',
    );
  });

  it('shows the contract schema error as you type, next to the field', async () => {
    await type('a/b');

    expect(nameInput().getAttribute('aria-invalid')).toBe('true');
    expect(describedErrorOf(root, nameInput())).toBe('Only letters, digits, -, _ and .');
  });

  it('does not send an empty name', async () => {
    await submit();

    expect(describedErrorOf(root, nameInput())).toBe('Between 1 and 64 characters');
    backend.expectNone('/api/rooms');
  });

  it('creates the room, announces it with `created`, and empties the field', async () => {
    const room: Room = {
      id: 3,
      name: 'general',
      owner: { id: 1, username: 'ada' },
      createdAt: '2026-01-01T00:00:00Z',
    };
    await type('General');

    await submit();
    const request = backend.expectOne({ method: 'POST', url: '/api/rooms' });
    expect(request.request.body).toEqual({ name: 'General' });
    request.flush({ room }, { status: 201, statusText: 'Created' });
    await stable();

    expect(created).toEqual([room]);
    expect(nameInput().value).toBe('');
    expect(describedErrorOf(root, nameInput())).toBeNull();
  });

  it('says "A room with that name already exists." until the name changes', async () => {
    await type('general');

    await submit();
    backend
      .expectOne('/api/rooms')
      .flush(
        { error: { code: 'room_exists', message: 'x' } },
        { status: 409, statusText: 'Conflict' },
      );
    await stable();
    expect(describedErrorOf(root, nameInput())).toBe('A room with that name already exists.');
    expect(created).toEqual([]);

    await type('general-2');
    expect(describedErrorOf(root, nameInput())).toBeNull();
  });

  it("shows the server's validation message for the name", async () => {
    await type('general');

    await submit();
    backend.expectOne('/api/rooms').flush(
      {
        error: {
          code: 'validation_failed',
          message: 'x',
          details: [{ path: 'name', message: 'Name reserved' }],
        },
      },
      { status: 400, statusText: 'Bad Request' },
    );
    await stable();

    expect(describedErrorOf(root, nameInput())).toBe('Name reserved');
  });
});

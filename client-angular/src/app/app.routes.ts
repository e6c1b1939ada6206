import type { Routes } from '@angular/router';
import { authGuard } from './core/auth-guard';

export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'rooms' },
  {
    path: 'sign-in',
    title: 'Sign in · Parley',
    loadComponent: () => import('./auth/sign-in').then((m) => m.SignIn),
  },
  {
    path: 'register',
    title: 'Create an account · Parley',
    loadComponent: () => import('./auth/register').then((m) => m.Register),
  },
  {
    path: 'rooms',
    title: 'Rooms · Parley',
    canActivate: [authGuard],
    loadComponent: () => import('./rooms/room-list').then((m) => m.RoomList),
  },
  {
    path: 'rooms/:name',
    title: 'Room · Parley',
    canActivate: [authGuard],
    loadComponent: () => import('./chat/room-view').then((m) => m.RoomView),
  },
  { path: '**', redirectTo: 'rooms' },
];

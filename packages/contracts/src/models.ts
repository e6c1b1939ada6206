/** The shapes the REST API and the chat events carry. Times are ISO 8601 UTC strings. */
export interface User {
  id: number;
  username: string;
  /** Present only when the user is the one asking. */
  email?: string;
}

export interface Room {
  id: number;
  name: string;
  owner: { id: number; username: string };
  createdAt: string;
}

export interface Message {
  id: number;
  roomId: number;
  seq: number;
  username: string;
  content: string;
  timestamp: string;
  clientId: string | null;
}

export interface RoomsPage {
  rooms: Room[];
  nextCursor: string | null;
}

/** Rows as PostgreSQL returns them (bigint ids are parsed to numbers by createDb). */
export interface UserRow {
  id: number;
  email: string;
  username: string;
  hashed_password: string;
  created_at: Date;
}

export interface RoomRow {
  id: number;
  name: string;
  owner_id: number;
  last_seq: number;
  created_at: Date;
}

export interface MessageRow {
  id: number;
  room_id: number;
  seq: number;
  user_id: number | null;
  username: string;
  content: string;
  client_id: string | null;
  timestamp: Date;
}

export interface RevokedTokenRow {
  jti: string;
  user_id: number;
  expires_at: Date;
}

/** Builds every repository over one database. */
import { AgentExecutionStore } from './agent-execution-store.js';
import { EventStore } from './event-store.js';
import { SessionStore } from './session-store.js';
import { TaskStore } from './task-store.js';
import type { TenantScope } from './tenant-scope.js';
import { TokenUsageStore } from './token-usage-store.js';
import { ToolExecutionStore } from './tool-execution-store.js';
import { UserStore } from './user-store.js';

/** The stores of the data layer (`dataLayer.stores`). */
export interface Stores {
  sessions: SessionStore;
  tasks: TaskStore;
  tokenUsage: TokenUsageStore;
  events: EventStore;
  agents: AgentExecutionStore;
  tools: ToolExecutionStore;
  users: UserStore;
}

/** Creates the stores; `db` is a `Database` (or anything that opens tenant transactions). */
export function createStores(db: TenantScope): Stores {
  return {
    sessions: new SessionStore(db),
    tasks: new TaskStore(db),
    tokenUsage: new TokenUsageStore(db),
    events: new EventStore(db),
    agents: new AgentExecutionStore(db),
    tools: new ToolExecutionStore(db),
    users: new UserStore(db),
  };
}

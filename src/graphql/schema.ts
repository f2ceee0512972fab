import { builder } from './builder.js';
import './enums.js';
import './realm.js';
import './org.js';
import './user.js';
import './session.js';
import './auth.js';
import './audit.js';
import './client.js';
import './webhook.js';
import './admin-key.js';
import './subscriptions.js';

export const schema = builder.toSchema({ sortSchema: false });

import './styles.css';
import { ChatSession } from './chat-session';
import { authView } from './auth-view';
import { chatView } from './chat-view';
import { explainSessionEnd } from './explain';
import { LocalStore } from './local-store';

const app = document.getElementById('app')!;

function showAuth(store: LocalStore, notice?: string): void {
  const enter = (session: ChatSession) => showChat(store, session);
  app.replaceChildren(
    authView(
      {
        login: async (input) => enter(await ChatSession.login(store, input)),
        register: async (input) => enter(await ChatSession.register(store, input)),
      },
      notice,
    ),
  );
}

function showChat(store: LocalStore, session: ChatSession): void {
  const stop = session.onChange(() => {
    if (session.status.state !== 'ended') return;
    stop();
    showAuth(store, explainSessionEnd(session.status.reason));
  });
  app.replaceChildren(
    chatView(session, () => {
      stop();
      void session.logout();
      showAuth(store);
    }),
  );
}

if (!globalThis.crypto?.subtle) {
  app.textContent =
    'Bowl encrypts in the browser with WebCrypto, which browsers only allow on https:// pages ' +
    'or http://localhost. Open Bowl through one of those.';
} else {
  LocalStore.open().then(
    (store) => showAuth(store),
    (err: Error) => (app.textContent = `This browser does not let Bowl store keys: ${err.message}`),
  );
}

import { ChatMessage, ChatSession, ConversationId, split } from './chat-session';
import { busy, formatTime, h } from './dom';
import { explainError } from './explain';

const STATUS_TEXT = {
  closed: 'Not connected',
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
  ended: 'Session ended',
} as const;

/**
 * The signed-in screen: contacts and groups on the left (with requests, invitations and online
 * dots), the open conversation on the right. Lists are redrawn on every change of the session;
 * forms and the composer stay, so typing is never interrupted.
 */
export function chatView(session: ChatSession, onLogout: () => void): HTMLElement {
  let current: ConversationId | undefined;

  const alert = h('p', { class: 'error', role: 'alert' });
  const notice = h('p', { class: 'notice', role: 'status' });
  const fail = (message: string) => {
    notice.textContent = '';
    alert.textContent = message;
  };
  const say = (message: string) => {
    alert.textContent = '';
    notice.textContent = message;
  };
  const status = h('span', { class: 'status', role: 'status' });

  // ------------------------------------------------------------------------ sidebar forms
  const addContact = form(
    'add-contact',
    'Add a contact by email',
    'Send request',
    {
      type: 'email',
      placeholder: 'friend@example.com',
    },
    async (email) => {
      await session.addContact(email);
      say(`Contact request sent to ${email}.`);
    },
  );
  const newGroup = form(
    'new-group',
    'New group name',
    'Create group',
    { maxlength: 64 },
    async (name) => {
      const groupId = await session.createGroup(name, '');
      await openConversation(`group:${groupId}`);
    },
  );
  const requests = h('ul', { class: 'list', 'aria-label': 'Contact requests' });
  const contacts = h('ul', { class: 'list', 'aria-label': 'Contacts' });
  const invitations = h('ul', { class: 'list', 'aria-label': 'Group invitations' });
  const groups = h('ul', { class: 'list', 'aria-label': 'Groups' });

  // ------------------------------------------------------------------------ conversation
  const title = h('h2', { id: 'conversation-title' }, 'No conversation open');
  const details = h('div', { class: 'details' });
  const log = h('ol', { class: 'messages', role: 'log', 'aria-labelledby': 'conversation-title' });
  const composerInput = h('textarea', {
    id: 'composer',
    rows: 2,
    placeholder: 'Write a message',
    disabled: true,
  });
  const sendButton = h('button', { type: 'submit', disabled: true }, 'Send');
  const composer = h(
    'form',
    { class: 'composer' },
    h('label', { for: 'composer', class: 'sr-only' }, 'Message'),
    composerInput,
    sendButton,
  );
  composerInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const plaintext = composerInput.value.trim();
    if (!plaintext || !current) return;
    composerInput.value = '';
    const to = current;
    void session.send(to, plaintext).catch((err) => fail(`Not sent: ${explainError(err)}`));
  });

  const root = h(
    'div',
    { class: 'app' },
    h(
      'header',
      { class: 'topbar' },
      h('h1', {}, 'Bowl'),
      status,
      h('span', { class: 'me' }, `${session.me.name} · ${session.me.email}`),
      h('button', { type: 'button', class: 'secondary', onclick: onLogout }, 'Log out'),
    ),
    alert,
    notice,
    h(
      'div',
      { class: 'layout' },
      h(
        'nav',
        { class: 'sidebar', 'aria-label': 'Contacts and groups' },
        h('h2', {}, 'Contacts'),
        addContact,
        requests,
        contacts,
        h('h2', {}, 'Groups'),
        newGroup,
        invitations,
        groups,
      ),
      h(
        'section',
        { class: 'conversation', 'aria-labelledby': 'conversation-title' },
        h('header', {}, title, details),
        log,
        composer,
      ),
    ),
  );

  function closeConversation() {
    current = session.active = undefined;
    title.textContent = 'No conversation open';
    details.replaceChildren();
    log.replaceChildren();
    composerInput.disabled = sendButton.disabled = true;
  }

  async function openConversation(conversation: ConversationId) {
    current = conversation;
    await session.open(conversation);
    composerInput.disabled = sendButton.disabled = false;
    composerInput.focus();
  }

  // ------------------------------------------------------------------------ rendering
  /** A presence dot and, for screen readers, the word: `Bob (online)`. */
  const presence = (email: string, name: string): (Node | string)[] => {
    const isOnline = session.online.has(email);
    return [
      h('span', { class: `dot${isOnline ? ' online' : ''}`, 'aria-hidden': 'true' }),
      name,
      h('span', { class: 'sr-only' }, isOnline ? ' (online)' : ' (offline)'),
    ];
  };

  const conversationButton = (conversation: ConversationId, ...label: (Node | string)[]) =>
    h(
      'button',
      {
        type: 'button',
        class: 'conversation-link',
        'aria-current': conversation === current ? 'true' : undefined,
        onclick: () => void openConversation(conversation),
      },
      ...label,
      session.unread.has(conversation) && h('span', { class: 'badge' }, 'new'),
    );

  const actionButton = (
    label: string,
    accessibleName: string,
    action: () => Promise<void>,
    secondary = false,
  ) => {
    const button = h(
      'button',
      { type: 'button', 'aria-label': accessibleName, class: secondary ? 'secondary' : undefined },
      label,
    );
    button.onclick = () => void busy(button, action, fail);
    return button;
  };

  /** A request or invitation with its two answers, named for screen readers (`Accept bob@…`). */
  function question(
    text: string,
    acceptLabel: string,
    subject: string,
    answer: { accept: () => Promise<void>; decline: () => Promise<void> },
  ) {
    return h(
      'li',
      { class: 'request' },
      h('span', {}, text),
      actionButton(acceptLabel, `${acceptLabel} ${subject}`, answer.accept),
      actionButton('Decline', `Decline ${subject}`, answer.decline, true),
    );
  }

  function renderSidebar() {
    requests.replaceChildren(
      ...[...session.requests.values()].map((r) =>
        question(`${r.name} (${r.email}) wants to be your contact`, 'Accept', r.email, {
          accept: () => session.acceptRequest(r.email),
          decline: () => session.declineRequest(r.email),
        }),
      ),
    );
    contacts.replaceChildren(
      ...[...session.contacts.values()].map((c) =>
        c.requested
          ? h('li', { class: 'pending' }, `${c.email}: request sent`)
          : h('li', {}, conversationButton(`contact:${c.email}`, ...presence(c.email, c.name))),
      ),
    );
    if (session.contacts.size === 0)
      contacts.append(h('li', { class: 'empty' }, 'No contacts yet'));
    invitations.replaceChildren(
      ...[...session.invitations.values()].map((i) =>
        question(`Invitation to ${i.name}`, 'Join', i.name, {
          accept: () => session.acceptInvitation(i.groupId),
          decline: () => session.declineInvitation(i.groupId),
        }),
      ),
    );
    groups.replaceChildren(
      ...[...session.groups.values()].map((g) => {
        const others = g.members.filter((m) => m.email !== session.me.email);
        const online = others.filter((m) => session.online.has(m.email)).length;
        return h(
          'li',
          {},
          conversationButton(
            `group:${g.groupId}`,
            g.name,
            h('span', { class: 'count' }, `${online}/${others.length} online`),
          ),
        );
      }),
    );
  }

  function renderConversation() {
    if (!current) return;
    const [kind, id] = split(current);
    if (kind === 'contact') {
      const contact = session.contacts.get(id);
      title.replaceChildren(...(contact ? presence(id, contact.name) : [id]));
      details.replaceChildren(
        ...(contact ? [h('span', {}, id), removeButton(contact)] : ['Not among your contacts']),
      );
    } else {
      const group = session.groups.get(id);
      title.textContent = group?.name ?? 'A group you left';
      details.replaceChildren(...(group ? groupDetails(group.groupId) : []));
    }
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.replaceChildren(...session.messages(current).map(messageItem));
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function removeButton(contact: { email: string; name: string }): HTMLButtonElement {
    return actionButton(
      'Remove contact',
      `Remove ${contact.name} from your contacts`,
      async () => {
        await session.removeContact(contact.email);
        say(`${contact.name} is no longer your contact.`);
      },
      true,
    );
  }

  function groupDetails(groupId: string): Node[] {
    const group = session.groups.get(groupId)!;
    const members = h(
      'p',
      { class: 'members' },
      'Members: ',
      ...group.members.flatMap((m, i) => [
        i > 0 ? ', ' : '',
        ...(m.email === session.me.email
          ? [`You${m.isAdmin ? ', admin' : ''}`]
          : presence(m.email, `${session.nameOf(m.email)}${m.isAdmin ? ', admin' : ''}`)),
      ]),
    );
    const leave = actionButton(
      'Leave group',
      `Leave ${group.name}`,
      async () => {
        await session.leaveGroup(groupId);
        closeConversation();
      },
      true,
    );
    const isAdmin = group.members.some((m) => m.email === session.me.email && m.isAdmin);
    const memberEmails = new Set(group.members.map((m) => m.email));
    const candidates = [...session.contacts.values()].filter(
      (c) => !c.requested && !memberEmails.has(c.email),
    );
    if (!isAdmin || candidates.length === 0) return [members, leave];
    const select = h(
      'select',
      { id: 'invite-contact' },
      ...candidates.map((c) => h('option', { value: c.email }, `${c.name} (${c.email})`)),
    );
    const invite = h('button', { type: 'submit' }, 'Invite');
    const inviteForm = h(
      'form',
      { class: 'inline' },
      h('label', { for: 'invite-contact' }, 'Invite a contact'),
      select,
      invite,
    );
    inviteForm.onsubmit = (event) => {
      event.preventDefault();
      const email = select.value;
      void busy(
        invite,
        async () => {
          await session.invite(groupId, email);
          say(`Invitation sent to ${email}.`);
        },
        fail,
      );
    };
    return [members, inviteForm, leave];
  }

  function messageItem(m: ChatMessage): HTMLElement {
    const mine = m.from === session.me.email;
    return h(
      'li',
      { class: `message${mine ? ' mine' : ''}${m.state === 'failed' ? ' failed' : ''}` },
      h(
        'div',
        { class: 'meta' },
        h('span', { class: 'from' }, session.nameOf(m.from)),
        h('time', { datetime: m.sentAt }, formatTime(m.sentAt)),
        m.state !== 'sent' &&
          h('span', { class: 'state' }, m.state === 'sending' ? 'sending…' : 'not sent'),
      ),
      h('p', { class: 'text' }, m.text),
    );
  }

  function renderStatus() {
    const s = session.status;
    status.className = `status ${s.state}`;
    status.textContent =
      s.state === 'offline'
        ? `Offline, retrying in ${Math.ceil(s.retryInMs / 1000)} s`
        : STATUS_TEXT[s.state];
  }

  function render() {
    renderStatus();
    renderSidebar();
    renderConversation();
  }

  /** A one-field form whose action's refusal is shown in the alert. */
  function form(
    id: string,
    label: string,
    submitLabel: string,
    attrs: Record<string, string | number>,
    action: (value: string) => Promise<void>,
  ): HTMLFormElement {
    const input = h('input', { id, name: id, required: true, ...attrs });
    const submit = h('button', { type: 'submit' }, submitLabel);
    const el = h('form', { class: 'inline' }, h('label', { for: id }, label), input, submit);
    el.onsubmit = (event) => {
      event.preventDefault();
      void busy(
        submit,
        async () => {
          alert.textContent = notice.textContent = '';
          await action(input.value.trim());
          input.value = '';
        },
        fail,
      );
    };
    return el;
  }

  session.onChange(render);
  session.onNotice(say);
  render();
  return root;
}

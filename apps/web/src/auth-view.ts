import { busy, h } from './dom';

export interface AuthActions {
  login(input: { email: string; password: string }): Promise<void>;
  register(input: { name: string; email: string; password: string }): Promise<void>;
}

/** Log in, or create an account (keys are made here, in the browser). */
export function authView(actions: AuthActions, notice?: string): HTMLElement {
  let mode: 'login' | 'register' = 'login';
  const error = h('p', { class: 'error', role: 'alert' }, notice ?? '');
  const form = h('form', { class: 'auth-form' });
  const root = h(
    'main',
    { class: 'auth' },
    h('h1', {}, 'Bowl'),
    h('p', { class: 'tagline' }, 'End-to-end-encrypted chat. Your keys never leave this browser.'),
    form,
  );

  const field = (label: string, attrs: Record<string, string | number | boolean>) => {
    const id = `auth-${attrs.name}`;
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      h('input', { id, ...attrs }),
    );
  };

  const render = () => {
    const register = mode === 'register';
    const submit = h('button', { type: 'submit' }, register ? 'Create account' : 'Log in');
    form.replaceChildren(
      h('h2', {}, register ? 'Create an account' : 'Log in'),
      ...(register
        ? [field('Name', { name: 'name', required: true, maxlength: 64, autocomplete: 'name' })]
        : []),
      field('Email', { name: 'email', type: 'email', required: true, autocomplete: 'email' }),
      field('Password', {
        name: 'password',
        type: 'password',
        required: true,
        minlength: register ? 10 : 1,
        autocomplete: register ? 'new-password' : 'current-password',
      }),
      error,
      submit,
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            mode = register ? 'login' : 'register';
            error.textContent = '';
            render();
          },
        },
        register ? 'I have an account: log in' : 'New here? Create an account',
      ),
    );
    form.onsubmit = (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const value = (name: string) => String(data.get(name) ?? '');
      error.textContent = register ? 'Making your keys…' : '';
      void busy(
        submit,
        () =>
          register
            ? actions.register({
                name: value('name'),
                email: value('email'),
                password: value('password'),
              })
            : actions.login({ email: value('email'), password: value('password') }),
        (message) => (error.textContent = message),
      );
    };
    const first = form.querySelector('input')!;
    queueMicrotask(() => first.focus()); // once the form is on the page
  };
  render();
  return root;
}

// Helpers for the console's deployment detail page (docs/console.md 2.2), by data-testid only.
import { tid } from './browser.mjs';

// The connector row of a kind ("cloud" or "self-hosted").
export const connectorRow = (page, kind) => page.locator(`tr[data-kind="${kind}"]`).first();

// The row's conn-state text ("" when the row is not there yet).
export async function connState(row) {
  if ((await row.count()) === 0) return '';
  return (await row.getByTestId('conn-state').innerText()).trim();
}

// Clicks an action button once it is present (the buttons come and go with allowedActions).
export async function clickAction(page, testId) {
  const button = tid(page, testId);
  await button.waitFor({ state: 'visible', timeout: 20000 });
  await button.click();
}

// Accepts confirm-dialog when the action asked for one (the contract requires it for destructive actions
// only, so the tests accept both).
export async function confirmIfAsked(page) {
  const dialog = tid(page, 'confirm-dialog');
  try {
    await dialog.waitFor({ state: 'visible', timeout: 1500 });
  } catch {
    return false;
  }
  await tid(page, 'confirm-ok').click();
  await dialog.waitFor({ state: 'hidden' });
  return true;
}

// Opens the detail page of a deployment directly, by its path or (`byQuery`) as deployment.html?id=.
export async function openDeployment(page, platform, id, { byQuery = false } = {}) {
  await page.goto(`${platform.apiUrl}/console/${byQuery ? `deployment.html?id=${id}` : `deployments/${id}`}`);
  await tid(page, 'deployment-id').waitFor({ state: 'visible' });
}

import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// Role queries skip the check that an element is visible, which computes the style of every
// element they consider: a third of these tests' CPU. So a role query here finds an element
// whether or not it is shown (behind a dialog, in a collapsed panel); what a user sees is read
// by the browser tests (Playwright), where styles are real.
configure({ defaultHidden: true });

// A page test renders a whole entity page: on two cores beside the backend suites (CI runs
// three workers), two of them took over Jest's default 5 s. A bound on waiting, not a figure.
jest.setTimeout(30_000);

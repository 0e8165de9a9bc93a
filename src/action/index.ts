// The GitHub Action's entry point, bundled with everything it needs into action/index.js (see action.yml).
import { runAction } from './run-action.js';

runAction(process.env, process.cwd()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `cutover: internal error (a bug; please report it with this output)\n${(error as Error)?.stack ?? JSON.stringify(error)}\n`,
    );
    process.exitCode = 70;
  },
);

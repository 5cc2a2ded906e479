// The Pulumi program: `pulumi up` runs this module and exports what the function returns as the
// stack's outputs. Everything else lives in program.ts so the offline plan and the tests run the
// very same code.
import { buildStack } from "./program";

export = async () => buildStack();

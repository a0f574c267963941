// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function IntakePage(_: { params: Record<string, string> }) { return <PageTitle>IntakePage</PageTitle>; }

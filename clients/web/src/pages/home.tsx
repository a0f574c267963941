// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function HomePage(_: { params: Record<string, string> }) { return <PageTitle>HomePage</PageTitle>; }

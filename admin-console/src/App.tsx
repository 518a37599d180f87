/** Routes of the console; every page but sign-in needs a session. */
import { NavLink, Navigate, Route, Routes, useLocation } from "react-router";
import { useClient, useSession } from "./api/hooks";
import { session } from "./api/session";
import { ModelPricesPage } from "./pages/ModelPricesPage";
import { SignInPage } from "./pages/SignInPage";
import { TemplatesPage } from "./pages/TemplatesPage";
import { UiSettingsPage } from "./pages/UiSettingsPage";
import { WorkspaceDetailPage } from "./pages/WorkspaceDetailPage";
import { WorkspacesPage } from "./pages/WorkspacesPage";

function Layout({ children }: { children: React.ReactNode }) {
  const client = useClient();
  const signOut = () => {
    const refresh = session.get()?.refresh_token;
    session.clear();
    if (refresh) void client.POST("/api/auth/logout", { body: { refresh_token: refresh } });
  };
  return (
    <>
      <header className="bar">
        <span className="brand">sendfx admin</span>
        <nav aria-label="Main">
          <NavLink to="/workspaces">Workspaces</NavLink>
          <NavLink to="/templates">Automation templates</NavLink>
          <NavLink to="/ui-settings">UI settings</NavLink>
          <NavLink to="/model-prices">Model prices</NavLink>
        </nav>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>{children}</main>
    </>
  );
}

export function App() {
  const tokens = useSession();
  const location = useLocation();
  if (!tokens) {
    return location.pathname === "/sign-in" ? (
      <SignInPage />
    ) : (
      <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />
    );
  }
  return (
    <Layout>
      <Routes>
        <Route path="/workspaces" element={<WorkspacesPage />} />
        <Route path="/workspaces/:id" element={<WorkspaceDetailPage />} />
        <Route path="/templates" element={<TemplatesPage />} />
        <Route path="/ui-settings" element={<UiSettingsPage />} />
        <Route path="/model-prices" element={<ModelPricesPage />} />
        <Route path="*" element={<Navigate to="/workspaces" replace />} />
      </Routes>
    </Layout>
  );
}

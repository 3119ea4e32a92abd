package io.socialpulse.jdbc;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Talks to ClickHouse through the real ClickHouse JDBC driver the way Tableau does, and prints
 * what it saw as JSON lines on stdout. It checks nothing itself: the pytest that runs it holds
 * the expectations (tests/tableau/test_jdbc_live.py).
 *
 * <p>Usage: {@code JdbcProbe <plan>}; the password comes from the environment variable
 * {@code SP_JDBC_PASSWORD}. The plan is UTF-8 text, one step per line, fields separated by tabs:
 *
 * <pre>
 * connect   &lt;label&gt;  &lt;jdbc url&gt;  &lt;user&gt;     open a connection (closing the previous one)
 * metadata  &lt;schema&gt;                         what Tableau reads first: product, schemas, tables, columns
 * query     &lt;name&gt;    &lt;sql&gt;                 run a SELECT, print its columns and rows
 * refuse    &lt;name&gt;    &lt;sql&gt;                 run a statement that must fail, print the error
 * execute   &lt;name&gt;    &lt;sql&gt;                 run a statement that must succeed (e.g. a SET)
 * </pre>
 *
 * <p>Only the user and password are set as connection properties: every other property keeps
 * the driver's default, so what passes here passes for a Tableau user who sets nothing else.
 */
public final class JdbcProbe {
    private static final int MAX_ROWS = 10_000;

    private final PrintStream out;
    private Connection connection;
    private String label = "";

    private JdbcProbe(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: JdbcProbe <plan file>");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        JdbcProbe probe = new JdbcProbe(out);
        try {
            for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    probe.step(line.split("\t", -1));
                }
            }
        } finally {
            probe.close();
        }
    }

    private void step(String[] f) {
        switch (f[0]) {
            case "connect" -> connect(f[1], f[2], f[3]);
            case "metadata" -> metadata(f[1]);
            case "query" -> query(f[1], f[2]);
            case "refuse" -> statement("refuse", f[1], f[2]);
            case "execute" -> statement("execute", f[1], f[2]);
            default -> throw new IllegalArgumentException("unknown plan step: " + f[0]);
        }
    }

    private void connect(String label, String url, String user) {
        close();
        this.label = label;
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", System.getenv().getOrDefault("SP_JDBC_PASSWORD", ""));
        Json event = new Json("connect");
        try {
            Driver driver = DriverManager.getDriver(url);
            event.put("driver_class", driver.getClass().getName());
            event.put("driver_version", driver.getMajorVersion() + "." + driver.getMinorVersion());
            connection = DriverManager.getConnection(url, props);
            event.put("ok", true);
        } catch (SQLException | RuntimeException e) {
            connection = null;
            event.error(e);
        }
        emit(event);
    }

    /** The calls Tableau's JDBC connection dialog makes before any query. */
    private void metadata(String schema) {
        Json event = new Json("metadata");
        if (connection == null) {
            emit(event.put("error", "no connection"));
            return;
        }
        try {
            DatabaseMetaData meta = connection.getMetaData();
            event.put("product_name", meta.getDatabaseProductName());
            event.put("product_version", meta.getDatabaseProductVersion());
            event.put("driver_name", meta.getDriverName());
            event.put("driver_version", meta.getDriverVersion());
            event.put("user", meta.getUserName());
            event.put("read_only", connection.isReadOnly());
            event.put("schemas", strings(meta.getSchemas(), "TABLE_SCHEM"));
            event.put("catalogs", strings(meta.getCatalogs(), "TABLE_CAT"));
            List<Json> tables = new ArrayList<>();
            try (ResultSet rs = meta.getTables(null, schema, "%", null)) {
                while (rs.next()) {
                    Json table = new Json(null);
                    table.put("schema", rs.getString("TABLE_SCHEM"));
                    table.put("catalog", rs.getString("TABLE_CAT"));
                    table.put("name", rs.getString("TABLE_NAME"));
                    table.put("type", rs.getString("TABLE_TYPE"));
                    tables.add(table);
                }
            }
            for (Json table : tables) {
                List<Json> columns = new ArrayList<>();
                try (ResultSet rs = meta.getColumns(null, schema, (String) table.get("name"), "%")) {
                    while (rs.next()) {
                        Json column = new Json(null);
                        column.put("name", rs.getString("COLUMN_NAME"));
                        column.put("type_name", rs.getString("TYPE_NAME"));
                        column.put("data_type", rs.getInt("DATA_TYPE"));
                        column.put("nullable", rs.getInt("NULLABLE"));
                        column.put("position", rs.getInt("ORDINAL_POSITION"));
                        columns.add(column);
                    }
                }
                table.put("columns", columns);
            }
            event.put("tables", tables);
            event.put("ok", true);
        } catch (SQLException | RuntimeException e) {
            event.error(e);
        }
        emit(event);
    }

    private void query(String name, String sql) {
        Json event = new Json("query").put("name", name);
        if (connection == null) {
            emit(event.put("error", "no connection"));
            return;
        }
        long started = System.nanoTime();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            List<Json> columns = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                Json column = new Json(null);
                column.put("label", md.getColumnLabel(i));
                column.put("type_name", md.getColumnTypeName(i));
                column.put("data_type", md.getColumnType(i));
                column.put("class", md.getColumnClassName(i));
                columns.add(column);
            }
            List<List<String>> rows = new ArrayList<>();
            int count = 0;
            while (rs.next()) {
                count++;
                if (rows.size() < MAX_ROWS) {
                    List<String> row = new ArrayList<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.add(rs.getString(i));
                    }
                    rows.add(row);
                }
            }
            event.put("columns", columns).put("row_count", count).put("rows", rows);
            event.put("ms", (System.nanoTime() - started) / 1_000_000.0);
            event.put("ok", true);
        } catch (SQLException | RuntimeException e) {
            event.error(e);
        }
        emit(event);
    }

    /** Any statement; prints whether it was accepted (and its row count) or the error. */
    private void statement(String kind, String name, String sql) {
        Json event = new Json(kind).put("name", name).put("sql", sql);
        if (connection == null) {
            emit(event.put("error", "no connection"));
            return;
        }
        try (Statement st = connection.createStatement()) {
            boolean hasResult = st.execute(sql);
            if (hasResult) {
                try (ResultSet rs = st.getResultSet()) {
                    int count = 0;
                    while (rs.next()) {
                        count++;
                    }
                    event.put("row_count", count);
                }
            }
            event.put("ok", true);
        } catch (SQLException | RuntimeException e) {
            event.error(e);
        }
        emit(event);
    }

    private static List<String> strings(ResultSet rs, String column) throws SQLException {
        List<String> values = new ArrayList<>();
        try (rs) {
            while (rs.next()) {
                values.add(rs.getString(column));
            }
        }
        return values;
    }

    private void emit(Json event) {
        event.put("connection", label);
        out.println(event.render());
    }

    private void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                emit(new Json("close").error(e));
            }
            connection = null;
        }
    }

    /** A JSON object with insertion order kept; values: String, Number, Boolean, List, Json. */
    private static final class Json {
        private final List<String> keys = new ArrayList<>();
        private final List<Object> values = new ArrayList<>();

        Json(String event) {
            if (event != null) {
                put("event", event);
            }
        }

        Json put(String key, Object value) {
            int i = keys.indexOf(key);
            if (i >= 0) {
                values.set(i, value);
            } else {
                keys.add(key);
                values.add(value);
            }
            return this;
        }

        Object get(String key) {
            int i = keys.indexOf(key);
            return i >= 0 ? values.get(i) : null;
        }

        /** The error as the driver reports it, with the server's message down the cause chain. */
        Json error(Throwable e) {
            put("ok", false);
            put("error_class", e.getClass().getName());
            put("error", String.valueOf(e.getMessage()));
            if (e instanceof SQLException sql) {
                put("sql_state", sql.getSQLState());
                put("vendor_code", sql.getErrorCode());
            }
            List<String> causes = new ArrayList<>();
            for (Throwable c = e.getCause(); c != null && causes.size() < 5; c = c.getCause()) {
                causes.add(c.getClass().getName() + ": " + c.getMessage());
            }
            put("causes", causes);
            return this;
        }

        String render() {
            StringBuilder sb = new StringBuilder("{");
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                string(sb, keys.get(i));
                sb.append(':');
                value(sb, values.get(i));
            }
            return sb.append('}').toString();
        }

        private static void value(StringBuilder sb, Object v) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Json j) {
                sb.append(j.render());
            } else if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else if (v instanceof List<?> list) {
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    value(sb, list.get(i));
                }
                sb.append(']');
            } else {
                string(sb, v.toString());
            }
        }

        private static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}

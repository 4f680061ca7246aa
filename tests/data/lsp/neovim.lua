-- Drive `teikit lsp` from Neovim's own LSP client (Neovim 0.7+, headless), for tests/test_lsp_neovim.py.
-- Reads its settings from the environment and writes what the editor received to a JSON file.
local command = vim.fn.json_decode(os.getenv("TEIKIT_LSP_COMMAND"))
local good = os.getenv("TEIKIT_GOOD")
local broken = os.getenv("TEIKIT_BROKEN")
local out = os.getenv("TEIKIT_OUT")
local line = tonumber(os.getenv("TEIKIT_LINE"))
local character = tonumber(os.getenv("TEIKIT_CHARACTER"))
local result = { version = vim.version(), diagnostics = {}, completion = {}, errors = {} }

local function finish()
  local file = io.open(out, "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qall!")
end

vim.o.hidden = true
local client_id = vim.lsp.start_client({
  name = "teikit",
  cmd = command,
  root_dir = vim.fn.fnamemodify(good, ":h"),
  init_options = { debounce = 50 },
  on_exit = function(code) result.exit = code end,
})
if client_id == nil then
  table.insert(result.errors, "the client did not start")
  finish()
end

local buffers = {}
for name, path in pairs({ good = good, broken = broken }) do
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  buffers[name] = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buffers[name], client_id)
end

local arrived = vim.wait(120000, function()
  return #vim.diagnostic.get(buffers.broken) > 0 and #vim.diagnostic.get(buffers.good) > 0
end, 50)
if not arrived then
  table.insert(result.errors, "no diagnostics within 120 s")
end
vim.wait(500) -- lint's findings follow validation's

for name, buffer in pairs(buffers) do
  result.diagnostics[name] = {}
  for _, d in ipairs(vim.diagnostic.get(buffer)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(result.diagnostics[name], {
      line = d.lnum, col = d.col, end_line = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, code = lsp.code or d.code, source = d.source,
    })
  end
end

local params = {
  textDocument = { uri = vim.uri_from_bufnr(buffers.good) },
  position = { line = line, character = character },
}
local responses = vim.lsp.buf_request_sync(buffers.good, "textDocument/completion", params, 60000)
for _, response in pairs(responses or {}) do
  if response.err then
    table.insert(result.errors, vim.inspect(response.err))
  end
  local items = response.result and (response.result.items or response.result) or {}
  for _, item in ipairs(items) do
    table.insert(result.completion, { label = item.label, detail = item.detail })
  end
end

vim.lsp.stop_client(client_id)
vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
finish()

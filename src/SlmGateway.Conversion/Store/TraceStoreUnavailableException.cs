using System.Data.Common;

namespace SlmGateway.Conversion.Store;

/// <summary>The trace store could not be opened at all (an unwritable folder, a bad path): a store error like any other.</summary>
public sealed class TraceStoreUnavailableException(string message, Exception inner) : DbException(message, inner);
